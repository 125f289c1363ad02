/**
 * The main process on a pod: the main container's own command, held by the start gate
 * (`START_GATE_PATH`) until the control plane starts the main process (`exec` with
 * `processId: 'main'`), which here only opens the gate. So the container is the main process:
 * listed while its gate is open (running while the container runs, its exit code from the
 * container's status), its output the container's log.
 */
import {
  ErrorCode,
  type ExitStatus,
  PaddockError,
  type ProcessHandle,
  type ProcessInfo,
} from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import type { PodTarget } from '../exec/exec-in-pod.ts';
import { signalName } from '../exec/exec-wrapper.ts';
import type { Pod } from '../objects/kube-types.ts';
import { MAIN_CONTAINER, START_GATE_PATH } from '../objects/sandbox-pod.ts';
import { apiResource } from './api-paths.ts';
import type { ObjectApi } from './object-api.ts';
import { followPodLog } from './pod-log.ts';
import { runScript, runScriptOk } from './run-script.ts';

export const MAIN_PROCESS_ID = 'main';
const POD = apiResource('v1', 'Pod');
/** The gate script's `$0` (objects/sandbox-pod.ts): the container's argv is `sh -c GATE paddock-main …`. */
const GATE_NAME = 'paddock-main';

/** The template command the pod's main container holds behind its gate, if it holds one. */
export function gatedCommand(pod: Pod): string[] | undefined {
  const command = mainContainer(pod)?.command;
  return command?.[3] === GATE_NAME ? command.slice(4) : undefined;
}

export async function openGate(client: KubeClient, target: PodTarget): Promise<void> {
  await runScriptOk(
    client,
    target,
    ['/bin/sh', '-c', ': > "$1"', 'paddock-gate', START_GATE_PATH],
    'opening the start gate',
  );
}

/** The main process as listed, once the gate is open. */
export function mainInfo(pod: Pod): ProcessInfo {
  const status = pod.status?.containerStatuses?.find((s) => s.name === MAIN_CONTAINER);
  const running = status?.state?.running;
  const terminated = status?.state?.terminated;
  const exit = terminated === undefined ? undefined : exitOfCode(terminated.exitCode);
  return {
    id: MAIN_PROCESS_ID,
    command: gatedCommand(pod) ?? [],
    startedAt:
      running?.startedAt ??
      terminated?.startedAt ??
      pod.status?.startTime ??
      new Date(0).toISOString(),
    running: running !== undefined,
    ...(exit === undefined ? {} : { exit }),
  };
}

/**
 * Its output (the container's log) from the start, then live; the exit from its status once the
 * log ends. The exit follows the log on a connection of its own, opened when it is first awaited:
 * a reader that only wants the output (the logs route reads a moment, then cancels) closes its
 * log at once, instead of waiting on a second reader of the same stream (a cancelled branch of
 * `tee` settles only when the other branch is cancelled too) and keeping a follow open.
 */
export async function attachMain(
  client: KubeClient,
  api: ObjectApi,
  target: PodTarget,
): Promise<ProcessHandle> {
  const stdout = await followPodLog(client, target);
  const exit = onDemand(async () => {
    await new Response(await followPodLog(client, target)).arrayBuffer();
    const pod = await api.get<Pod>(POD, target.namespace, target.pod);
    const info = pod === undefined ? undefined : mainInfo(pod);
    if (info?.exit !== undefined) return info.exit;
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `the log of ${target.pod} ended while its main container ${info?.running ? 'runs' : 'is gone'}`,
    );
  });
  return {
    id: MAIN_PROCESS_ID,
    stdin: new WritableStream<Uint8Array>(),
    stdout,
    stderr: new ReadableStream({ start: (controller) => controller.close() }),
    resize: async () => {},
    signal: async (name) => {
      const canonical = signalName(name);
      // The main container's command is its pid 1; the check keeps it to a sandbox's own init.
      await runScript(client, target, [
        '/bin/sh',
        '-c',
        'grep -qz "^HOME=/home/user$" /proc/1/environ && kill -s "$1" 1',
        'paddock-signal-main',
        canonical.slice(3),
      ]);
    },
    exit,
  };
}

/** A promise whose work starts when it is first awaited (`then`, `catch` or `finally`). */
function onDemand<T>(start: () => Promise<T>): Promise<T> {
  let started: Promise<T> | undefined;
  const run = () => {
    started ??= start();
    return started;
  };
  const lazy: Promise<T> = {
    // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, awaited like a promise.
    then: (onFulfilled, onRejected) => run().then(onFulfilled, onRejected),
    catch: (onRejected) => run().catch(onRejected),
    finally: (onFinally) => run().finally(onFinally),
    [Symbol.toStringTag]: 'Promise',
  };
  return lazy;
}

function mainContainer(pod: Pod) {
  return pod.spec?.containers.find((c) => c.name === MAIN_CONTAINER);
}

function exitOfCode(code: number): ExitStatus {
  return { exitCode: code, signal: null, timedOut: false };
}
