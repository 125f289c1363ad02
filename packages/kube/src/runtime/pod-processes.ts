/**
 * Background processes in a pod (`background-scripts.ts` holds the shell side): `start` runs the
 * supervisor through one exec and returns the same handle as `attach`, which follows the recorded
 * output (`tail -f` until the process ends) and reads its exit from the recorded files once the
 * output ends. So a process outlives the control plane's connection, and a restarted runtime
 * re-attaches to it. A handle's stdin is discarded (background processes read /dev/null).
 */
import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  type ExitStatus,
  PaddockError,
  type ProcessHandle,
  type ProcessInfo,
} from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import { execInPod, type PodTarget } from '../exec/exec-in-pod.ts';
import { signalName } from '../exec/exec-wrapper.ts';
import {
  attachCommand,
  listCommand,
  rowCommand,
  ScriptExit,
  signalCommand,
  startCommand,
} from './background-scripts.ts';
import { parseListing, parseRow } from './process-rows.ts';
import { runScript, runScriptOk } from './run-script.ts';

const PROCESS_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export type StartRequest = {
  id?: string;
  command: string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  timeoutMs: number;
};

export class PodProcesses {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  /** Starts a supervised process; `conflict` while one of that id runs. */
  async start(target: PodTarget, request: StartRequest): Promise<ProcessHandle> {
    const id = request.id ?? randomUUID().slice(0, 12);
    if (!PROCESS_ID.test(id)) {
      throw new PaddockError(ErrorCode.ValidationFailed, `processId ${JSON.stringify(id)}`, {
        issues: [{ path: 'processId', message: 'must be letters, digits, ., _ and - (≤ 63)' }],
      });
    }
    const result = await runScript(
      this.#client,
      target,
      startCommand({ ...request, id, startedAt: new Date().toISOString() }),
    );
    if (result.exitCode === ScriptExit.Running) {
      throw new PaddockError(ErrorCode.Conflict, `background process ${id} is still running`);
    }
    if (result.exitCode !== 0) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `starting background process ${id} in pod ${target.pod} failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
      );
    }
    return this.#follow(target, id);
  }

  /** Every recorded process, and whether the main command's start gate is open. */
  async list(target: PodTarget): Promise<{ isGateOpen: boolean; processes: ProcessInfo[] }> {
    return parseListing(
      await runScriptOk(this.#client, target, listCommand(), 'listing processes'),
    );
  }

  /** Output from the start, then live; `not_found` for an id never started. */
  async attach(target: PodTarget, id: string): Promise<ProcessHandle> {
    if (!PROCESS_ID.test(id)) throw notFound(id);
    const known = await runScript(this.#client, target, rowCommand(id));
    if (known.exitCode === ScriptExit.NotFound) throw notFound(id);
    return this.#follow(target, id);
  }

  async #follow(target: PodTarget, id: string): Promise<ProcessHandle> {
    const follow = await execInPod(this.#client, {
      ...target,
      command: attachCommand(id),
      wrap: false,
      stdin: false,
    });
    const exit = follow.exit.then(async (status) => {
      if (status.exitCode === ScriptExit.NotFound) throw notFound(id);
      return this.#exitOf(target, id);
    });
    exit.catch(() => {});
    return {
      id,
      stdin: new WritableStream<Uint8Array>(),
      stdout: follow.stdout,
      stderr: follow.stderr,
      resize: async () => {},
      signal: async (name) => {
        const canonical = signalName(name);
        await runScript(this.#client, target, signalCommand(id, canonical.slice(3)));
      },
      exit,
    };
  }

  async #exitOf(target: PodTarget, id: string): Promise<ExitStatus> {
    const result = await runScript(this.#client, target, rowCommand(id));
    if (result.exitCode === ScriptExit.NotFound) throw notFound(id);
    const info = parseRow(result.stdout.trim());
    if (info?.exit === undefined) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `background process ${id} in pod ${target.pod} ended without a recorded exit (its supervisor was killed)`,
      );
    }
    return info.exit;
  }
}

function notFound(id: string): PaddockError {
  return new PaddockError(ErrorCode.NotFound, `no background process ${id}`, { processId: id });
}
