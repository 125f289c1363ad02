/**
 * The process, port and file half of the pod runtime: every call finds the sandbox's running pod
 * first (`sandbox-target.ts`: `invalid_transition` when stopped, `sandbox_not_found` when
 * unknown), then goes through the API server's exec and port-forward subresources.
 *
 * - foreground `exec`: `execInPod` under its shell wrapper (env, cwd default `/workspace`,
 *   signals, timeouts, terminals); the container's own env (template and provision request) is
 *   what exec inherits.
 * - `background`: supervised in the pod (`pod-processes.ts`); `processId: 'main'` of a pod whose
 *   main container holds the template command behind its start gate opens the gate instead
 *   (`main-process.ts`).
 * - the processes of a stopped incarnation are kept in its state ConfigMap (`processes.json`,
 *   listed ended; their output went with the pod).
 */
import {
  ErrorCode,
  type ExecRequest,
  PaddockError,
  type ProcessHandle,
  type ProcessInfo,
  type SandboxFiles,
  type SandboxRef,
} from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import { execInPod } from '../exec/exec-in-pod.ts';
import { checkCommand, wrapCommand } from '../exec/exec-wrapper.ts';
import { podFiles } from '../exec/pod-files.ts';
import type { ConfigMap } from '../objects/kube-types.ts';
import { WORKSPACE_PATH } from '../objects/template-files.ts';
import type { ActivityLog } from './activity.ts';
import type { ApiDiscovery } from './api-discovery.ts';
import { apiResource } from './api-paths.ts';
import { instanceName, sandboxOwnerUid } from './instance-ref.ts';
import { attachMain, gatedCommand, MAIN_PROCESS_ID, mainInfo, openGate } from './main-process.ts';
import type { ObjectApi } from './object-api.ts';
import { connectPodPort } from './pod-ports.ts';
import { PodProcesses } from './pod-processes.ts';
import { stateName } from './runtime-state.ts';
import { type SandboxPod, sandboxPod } from './sandbox-target.ts';

const CONFIG_MAP = apiResource('v1', 'ConfigMap');
const POD = apiResource('v1', 'Pod');
const PROCESSES_KEY = 'processes.json';

export class PodSessions {
  readonly files: SandboxFiles;
  readonly #client: KubeClient;
  readonly #api: ObjectApi;
  readonly #activity: ActivityLog;
  readonly #processes: PodProcesses;
  readonly #discovery: ApiDiscovery;

  constructor(client: KubeClient, api: ObjectApi, discovery: ApiDiscovery, activity: ActivityLog) {
    this.#client = client;
    this.#discovery = discovery;
    this.#api = api;
    this.#activity = activity;
    this.#processes = new PodProcesses(client);
    // Under the exec wrapper, so a cancelled read or archive kills its command by pid (a second
    // exec): cutting the connection alone may leave it blocked on its full pipe (containerd).
    this.files = podFiles({
      run: async (ref, command) => {
        const { target } = await this.#running(ref);
        return execInPod(client, { ...target, command });
      },
    });
  }

  async exec(ref: SandboxRef, request: ExecRequest): Promise<ProcessHandle> {
    checkRequest(request);
    const { target, pod } = await this.#running(ref);
    const cwd = request.cwd ?? WORKSPACE_PATH;
    if (request.background) {
      if (request.processId === MAIN_PROCESS_ID && gatedCommand(pod) !== undefined) {
        const listed = await this.#processes.list(target);
        if (listed.isGateOpen && mainInfo(pod).running) {
          throw new PaddockError(ErrorCode.Conflict, 'the main process is still running');
        }
        await openGate(this.#client, target);
        return attachMain(this.#client, this.#api, target);
      }
      return this.#processes.start(target, {
        ...(request.processId === undefined ? {} : { id: request.processId }),
        command: request.command,
        env: request.env ?? {},
        cwd,
        timeoutMs: request.timeoutMs ?? 0,
      });
    }
    return execInPod(this.#client, {
      ...target,
      command: request.command,
      cwd,
      ...(request.env === undefined ? {} : { env: request.env }),
      ...(request.tty === undefined ? {} : { tty: request.tty }),
      ...(request.cols === undefined ? {} : { cols: request.cols }),
      ...(request.rows === undefined ? {} : { rows: request.rows }),
      ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
    });
  }

  /** The running incarnation's processes; a stopped one's as recorded when it stopped. */
  async listProcesses(ref: SandboxRef): Promise<ProcessInfo[]> {
    let running: SandboxPod;
    try {
      running = await this.#running(ref, false);
    } catch (error) {
      if (error instanceof PaddockError && error.code === ErrorCode.InvalidTransition) {
        return this.#stoppedProcesses(ref);
      }
      throw error;
    }
    const { isGateOpen, processes } = await this.#processes.list(running.target);
    if (!isGateOpen || gatedCommand(running.pod) === undefined) return processes;
    return [mainInfo(running.pod), ...processes.filter((p) => p.id !== MAIN_PROCESS_ID)];
  }

  async attach(ref: SandboxRef, processId: string): Promise<ProcessHandle> {
    let running: SandboxPod;
    try {
      running = await this.#running(ref, false);
    } catch (error) {
      if (!(error instanceof PaddockError && error.code === ErrorCode.InvalidTransition)) {
        throw error;
      }
      const info = (await this.#stoppedProcesses(ref)).find((p) => p.id === processId);
      if (info === undefined) throw notFound(processId);
      return endedHandle(info);
    }
    if (processId === MAIN_PROCESS_ID && gatedCommand(running.pod) !== undefined) {
      const { isGateOpen } = await this.#processes.list(running.target);
      if (!isGateOpen) throw notFound(processId);
      return attachMain(this.#client, this.#api, running.target);
    }
    return this.#processes.attach(running.target, processId);
  }

  async connectPort(ref: SandboxRef, port: number) {
    const { target } = await this.#running(ref);
    return connectPodPort(this.#client, target, port);
  }

  /** Records the running incarnation's processes, ended, in its state (called by `stop`). */
  async recordForStop(ref: SandboxRef): Promise<void> {
    const processes = await this.listProcesses(ref).catch(() => []);
    const ended = processes.map((p) => ({ ...p, running: false }));
    await this.#api
      .mergePatch(CONFIG_MAP, ref.namespace, stateName(instanceName(ref)), {
        data: { [PROCESSES_KEY]: JSON.stringify(ended) },
      })
      .catch(() => {});
  }

  /** Forgets the last incarnation's processes (called by `start`). */
  async forgetStopped(ref: SandboxRef): Promise<void> {
    await this.#api.mergePatch(CONFIG_MAP, ref.namespace, stateName(instanceName(ref)), {
      data: { [PROCESSES_KEY]: null },
    });
  }

  async #stoppedProcesses(ref: SandboxRef): Promise<ProcessInfo[]> {
    const state = await this.#api.get<ConfigMap>(
      CONFIG_MAP,
      ref.namespace,
      stateName(instanceName(ref)),
    );
    if (state === undefined || sandboxOwnerUid(state) !== ref.uid) return [];
    try {
      const parsed: unknown = JSON.parse(state.data?.[PROCESSES_KEY] ?? '[]');
      return Array.isArray(parsed) ? (parsed as ProcessInfo[]) : [];
    } catch {
      return [];
    }
  }

  async #running(ref: SandboxRef, isActivity = true): Promise<SandboxPod> {
    await this.#discovery.require([POD, CONFIG_MAP]);
    const found = await sandboxPod(this.#api, ref);
    if (isActivity) this.#activity.touch(ref);
    return found;
  }
}

function checkRequest(request: ExecRequest): void {
  checkCommand(request.command);
  // The wrapper checks cwd and env names; a background request is checked here the same way.
  wrapCommand(request.command, request.env, request.cwd ?? WORKSPACE_PATH);
  if (request.timeoutMs !== undefined) {
    if (!Number.isSafeInteger(request.timeoutMs) || request.timeoutMs < 0) {
      throw invalid('timeoutMs', 'must be a non-negative whole number of milliseconds');
    }
  }
  if (request.background && request.tty) {
    throw invalid('tty', 'a background process has no terminal');
  }
}

function invalid(path: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${path} ${message}`, {
    issues: [{ path, message }],
  });
}

function notFound(id: string): PaddockError {
  return new PaddockError(ErrorCode.NotFound, `no background process ${id}`, { processId: id });
}

/** A handle on a process of a stopped incarnation: no output left, its recorded end. */
function endedHandle(info: ProcessInfo): ProcessHandle {
  const empty = () => new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  return {
    id: info.id,
    stdin: new WritableStream<Uint8Array>(),
    stdout: empty(),
    stderr: empty(),
    resize: async () => {},
    signal: async () => {},
    exit: Promise.resolve(info.exit ?? { exitCode: null, signal: 'SIGKILL', timedOut: false }),
  };
}
