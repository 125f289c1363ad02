/**
 * What a sandbox's pod says about the sandbox, as a `RuntimeObservation`: running once the pod is
 * Ready; failed when the pod failed or a container cannot run (the waiting or terminated reason
 * as the message); stopped when there is no pod but the workspace claim is kept, or while the pod
 * is still on its way up or down; absent when neither exists. Pure.
 */
import { LimitsMechanism, type RuntimeObservation, RuntimeState } from '@paddock/core';
import type { Pod } from '../objects/kube-types.ts';

/** Container states Kubernetes will not get out of by itself. */
const FAILED_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

const LIMITS = { limits: LimitsMechanism.Kubernetes } as const;

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Why the pod cannot run, if it cannot: `reason: message` of the first container that fails. */
export function podFailure(pod: Pod): string | undefined {
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  for (const status of statuses) {
    const waiting = status.state?.waiting;
    if (waiting?.reason !== undefined && FAILED_WAITING.has(waiting.reason)) {
      return describe(status.name, waiting.reason, waiting.message);
    }
    const terminated = status.state?.terminated ?? status.lastState?.terminated;
    if (terminated?.reason === 'OOMKilled') {
      return describe(status.name, 'OOMKilled', 'the container ran out of memory');
    }
  }
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') {
    const ended = statuses.find((s) => s.state?.terminated !== undefined);
    const terminated = ended?.state?.terminated;
    if (ended !== undefined && terminated !== undefined) {
      const why = terminated.message ?? `exited with code ${terminated.exitCode}`;
      return describe(ended.name, terminated.reason ?? 'Terminated', why);
    }
    return `pod ${phase}: ${pod.status?.reason ?? ''} ${pod.status?.message ?? ''}`.trim();
  }
  return undefined;
}

function describe(container: string, reason: string, message: string | undefined): string {
  return `container ${container}: ${reason}${message ? `: ${message}` : ''}`;
}

/** Why the pod is not ready yet (for a stopped observation of a pod on its way up or down). */
function pending(pod: Pod): string {
  if (pod.metadata?.deletionTimestamp !== undefined) return 'the pod is being deleted';
  const waiting = pod.status?.containerStatuses?.find((s) => s.state?.waiting)?.state?.waiting;
  const unscheduled = pod.status?.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False',
  );
  const why = waiting?.reason ?? unscheduled?.message ?? pod.status?.phase ?? 'Pending';
  return `the pod is not ready yet: ${why}`;
}

/** When the pod's current incarnation started: its main container's start, else the pod's. */
function startedAt(pod: Pod): string | undefined {
  const running = pod.status?.containerStatuses?.find((s) => s.state?.running)?.state?.running;
  const time = running?.startedAt ?? pod.status?.startTime;
  return time === undefined ? undefined : new Date(time).toISOString();
}

/** The observation of a sandbox from its pod (if any) and whether its workspace claim exists. */
export function observePod(pod: Pod | undefined, hasWorkspace: boolean): RuntimeObservation {
  if (pod === undefined) {
    return hasWorkspace
      ? { state: RuntimeState.Stopped, ...LIMITS }
      : { state: RuntimeState.Absent };
  }
  const started = startedAt(pod);
  const since = started === undefined ? {} : { startedAt: started };
  const failure = pod.metadata?.deletionTimestamp === undefined ? podFailure(pod) : undefined;
  if (failure !== undefined)
    return { state: RuntimeState.Failed, ...since, ...LIMITS, message: failure };
  if (isPodReady(pod) && pod.metadata?.deletionTimestamp === undefined) {
    return { state: RuntimeState.Running, ...since, ...LIMITS };
  }
  return { state: RuntimeState.Stopped, ...LIMITS, message: pending(pod) };
}
