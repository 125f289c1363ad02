// When a Sandbox's timers come due: its wall-clock timeout (`status.expiresAt`), its
// `spec.shutdownTime` and its idle timeout; the reconciler requeues itself for the earliest.
import {
  parseDurationMs,
  type Sandbox,
  type SandboxEnvironment,
  type SandboxEvent,
  type SandboxStatus,
} from '@paddock/core';
import type { StatusWriter } from './kit/status-writer.ts';
import type { ReconcileResult } from './kit/work-queue.ts';
import { idleDeadlines } from './sandbox-pause.ts';

/** What the deadlines read of a reconcile pass: its clock and the Sandbox's current status. */
type Clock = {
  now: () => Date;
  status: Pick<StatusWriter<Sandbox, SandboxStatus, SandboxEvent>, 'current'>;
};

export function timeoutMsOf(spec: SandboxEnvironment): number {
  return spec.timeout ? parseDurationMs(spec.timeout) : 0;
}

/** When a sandbox started `now` reaches its wall-clock timeout; nothing when it has none. */
export function expiry(spec: SandboxEnvironment, now: Date): Pick<SandboxStatus, 'expiresAt'> {
  const timeoutMs = timeoutMsOf(spec);
  return timeoutMs > 0 ? { expiresAt: new Date(now.getTime() + timeoutMs).toISOString() } : {};
}

/** The spec's `shutdownTime` in epoch milliseconds, when it has one. */
export function shutdownTimeOf(sandbox: Sandbox): number | undefined {
  return sandbox.spec.shutdownTime === undefined
    ? undefined
    : Date.parse(sandbox.spec.shutdownTime);
}

/** The latest of the given times (RFC 3339) in epoch milliseconds; none without one. */
export function latest(...times: Array<string | undefined>): number | undefined {
  const parsed = times.filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
  return parsed.length === 0 ? undefined : Math.max(...parsed);
}

/** When the wall-clock timeout and the shutdown time come (epoch ms), those the sandbox has. */
export function wallClockDeadlines(deps: Clock, sandbox: Sandbox): number[] {
  const status = deps.status.current(sandbox);
  const deadlines: number[] = [];
  if (status.expiresAt) deadlines.push(Date.parse(status.expiresAt));
  const shutdownAt = shutdownTimeOf(sandbox);
  if (shutdownAt !== undefined) deadlines.push(shutdownAt);
  return deadlines;
}

/** A pass again at the earliest of `deadlines` (epoch ms); none without one. */
export function untilDeadline(deps: Clock, deadlines: number[]): ReconcileResult {
  if (deadlines.length === 0) return {};
  return { requeueAfterMs: Math.max(0, Math.min(...deadlines) - deps.now().getTime()) };
}

/** How long until the wall-clock or idle timeout may fire. */
export function nextDeadline(deps: Clock, sandbox: Sandbox): ReconcileResult {
  const status = deps.status.current(sandbox);
  const now = deps.now().getTime();
  const deadlines = wallClockDeadlines(deps, sandbox);
  const idle = idleDeadlines(status, latest(status.lastActivityAt, status.startedAt));
  if (idle) {
    const warned =
      status.idleWarningAt !== undefined && Date.parse(status.idleWarningAt) >= idle.warnAt;
    deadlines.push(warned || now >= idle.warnAt ? idle.expireAt : idle.warnAt);
  }
  return untilDeadline(deps, deadlines);
}
