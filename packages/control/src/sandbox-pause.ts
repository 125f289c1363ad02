/**
 * Pause, resume and idle expiry of a Sandbox, for the sandbox reconciler. `desiredState: Paused`
 * freezes the sandbox's processes in place; an idle timeout pauses it (or stops it: the template's
 * `idleAction`, and always where the runtime cannot pause) after a warning event. An idle-paused
 * sandbox keeps `desiredState: Running` (the controller never writes spec): a wake request, the
 * `START_REQUESTED_ANNOTATION` newer than its pause, resumes it.
 */
import {
  EventType,
  parseDurationMs,
  RuntimeState,
  type Sandbox,
  type SandboxEvent,
  SandboxReason,
  type SandboxRuntime,
  type SandboxStatus,
} from '@paddock/core';
import type { StatusWriter } from './kit/status-writer.ts';
import { runtimeRefOf } from './runtime-ref.ts';

/** Set (to an RFC 3339 time) to start a sandbox that stopped on its own (timeout, idle, exit). */
export const START_REQUESTED_ANNOTATION = 'paddock.dev/start-requested-at';

/**
 * The sandbox asked to run (`desiredState: Running`) with a start request stamped after its last
 * stop or pause, also when the clock has not moved past it (the same millisecond, another
 * replica's clock): a request the reconciler would read as older than the stop is never lost.
 */
export function withStartRequest(sandbox: Sandbox, now: Date = new Date()): Sandbox {
  const status = sandbox.status;
  const slept = Math.max(
    Date.parse(status?.stoppedAt ?? '') || 0,
    Date.parse(status?.pausedAt ?? '') || 0,
  );
  const stamp = new Date(Math.max(now.getTime(), slept + 1)).toISOString();
  return {
    ...sandbox,
    metadata: {
      ...sandbox.metadata,
      annotations: { ...sandbox.metadata.annotations, [START_REQUESTED_ANNOTATION]: stamp },
    },
    spec: { ...sandbox.spec, desiredState: 'Running' },
  };
}

export type PauseDeps = {
  runtime: SandboxRuntime;
  now: () => Date;
  status: StatusWriter<Sandbox, SandboxStatus, SandboxEvent>;
};

/** Whether the runtime can pause sandboxes at all (the Kubernetes pod runtime cannot). */
export function canPause(runtime: SandboxRuntime): boolean {
  return runtime.pause !== undefined && runtime.resume !== undefined;
}

/**
 * Says, once per generation, that the runtime cannot honour `desiredState: Paused` (the sandbox
 * keeps running): records the generation in the status, then a Warning event `PauseUnsupported`.
 * Whether it wrote (the next pass reads the sandbox again); nothing when that generation was told.
 */
export async function warnPauseUnsupported(deps: PauseDeps, sandbox: Sandbox): Promise<boolean> {
  const generation = sandbox.metadata.generation ?? 1;
  if (deps.status.current(sandbox).pauseUnsupportedGeneration === generation) return false;
  const written = await deps.status.patch(sandbox, { pauseUnsupportedGeneration: generation });
  const why = `runtime ${deps.runtime.name} cannot pause sandboxes; it keeps running`;
  await deps.status.note(written, 'PauseUnsupported', why, EventType.Warning);
  return true;
}

/** Freezes a running sandbox and records `Paused` (asked for) or `IdlePaused` (idle expiry). */
export async function pauseSandbox(
  deps: PauseDeps,
  sandbox: Sandbox,
  cause: 'user' | 'idle',
): Promise<Sandbox> {
  const pause = deps.runtime.pause;
  if (pause === undefined) throw new Error(`runtime ${deps.runtime.name} cannot pause`);
  const { mechanism } = await pause.call(deps.runtime, runtimeRefOf(sandbox));
  const events: SandboxEvent[] =
    cause === 'user'
      ? [{ type: 'PauseRequested' }, { type: 'Paused', mechanism }]
      : [{ type: 'IdlePaused', mechanism }];
  return deps.status.transition(sandbox, events);
}

/** Thaws a paused sandbox; the idle clock starts again from now. */
export async function resumeSandbox(deps: PauseDeps, sandbox: Sandbox): Promise<Sandbox> {
  const resume = deps.runtime.resume;
  if (resume === undefined) throw new Error(`runtime ${deps.runtime.name} cannot resume`);
  await resume.call(deps.runtime, runtimeRefOf(sandbox));
  return deps.status.transition(sandbox, [{ type: 'ResumeRequested' }, { type: 'Resumed' }], {
    lastActivityAt: deps.now().toISOString(),
  });
}

/** Whether a start or wake was asked for after `since` (an RFC 3339 time, or never). */
export function isStartRequestedAfter(sandbox: Sandbox, since: string | undefined): boolean {
  const requested = sandbox.metadata.annotations?.[START_REQUESTED_ANNOTATION];
  return (
    requested !== undefined && Date.parse(requested) > Date.parse(since ?? '1970-01-01T00:00:00Z')
  );
}

/**
 * One pass over a Paused sandbox: stop it when asked, resume it when its desired state is
 * Running again (a user pause) or a wake was asked for (an idle pause), keep it frozen otherwise.
 * `stop` stops it through the reconciler; `ran` is what a resumed sandbox's pass returns, `held`
 * what a pass that keeps it frozen returns (when to look again: its wall-clock deadline).
 */
export async function reconcilePaused(
  deps: PauseDeps,
  sandbox: Sandbox,
  stop: (events: SandboxEvent[]) => Promise<unknown>,
  ran: (resumed: Sandbox) => { requeueAfterMs?: number },
  held: () => { requeueAfterMs?: number } = () => ({}),
): Promise<{ requeueAfterMs?: number }> {
  const status = deps.status.current(sandbox);
  if (sandbox.spec.desiredState === 'Stopped') {
    await stop([{ type: 'StopRequested' }, { type: 'Stopped' }]);
    return {};
  }
  const ref = runtimeRefOf(sandbox);
  const observation = await deps.runtime.observe(ref);
  if (observation.state === RuntimeState.Absent) {
    await deps.status.transition(sandbox, [
      { type: 'RuntimeLost', message: 'the runtime no longer holds this sandbox' },
    ]);
    return {};
  }
  if (observation.state === RuntimeState.Stopped || observation.state === RuntimeState.Failed) {
    // Its frozen processes are gone (a host restart): nothing to resume, the workspace is kept.
    // A sandbox paused to disk (`checkpoint`) is still observed paused: its resume restores it.
    await deps.status.note(
      sandbox,
      'PausedProcessesLost',
      `the runtime found it ${observation.state}: its paused processes did not survive`,
      EventType.Warning,
    );
    await stop([{ type: 'Stopped' }]);
    return {};
  }
  const isIdlePause = status.reason === SandboxReason.IdlePaused;
  const wantsRunning =
    sandbox.spec.desiredState === 'Running' &&
    (!isIdlePause || isStartRequestedAfter(sandbox, status.pausedAt));
  if (wantsRunning) return ran(await resumeSandbox(deps, sandbox));
  // Re-freeze a sandbox the runtime holds running (a crash between thaw and status write).
  if (observation.state === RuntimeState.Running) await deps.runtime.pause?.(ref);
  return held();
}

/** When the idle timeout warning and expiry come, from the last activity (epoch ms). */
export function idleDeadlines(
  status: SandboxStatus,
  lastActivityMs: number | undefined,
): { warnAt: number; expireAt: number } | undefined {
  const spec = status.resolved ?? {};
  const idleMs = spec.idleTimeout ? parseDurationMs(spec.idleTimeout) : 0;
  if (idleMs <= 0 || lastActivityMs === undefined) return undefined;
  const leadMs = Math.min(60_000, Math.floor(idleMs / 5));
  return { warnAt: lastActivityMs + idleMs - leadMs, expireAt: lastActivityMs + idleMs };
}

/**
 * Expires an idle sandbox: pauses it (the default where the runtime can) or stops it (the
 * template's `idleAction: Stop`). Before that, once per idle spell, a Warning event says when.
 * Returns what happened: `warned` (still running; the sandbox as written), `expired`, or nothing
 * due yet.
 */
export async function expireIdle(
  deps: PauseDeps,
  sandbox: Sandbox,
  lastActivityMs: number | undefined,
  stop: () => Promise<unknown>,
): Promise<{ outcome: 'expired' } | { outcome: 'warned'; sandbox: Sandbox } | undefined> {
  const status = deps.status.current(sandbox);
  const due = idleDeadlines(status, lastActivityMs);
  const now = deps.now().getTime();
  if (due === undefined || now < due.warnAt) return undefined;
  const isPause = status.resolved?.idleAction !== 'Stop' && canPause(deps.runtime);
  if (now >= due.expireAt) {
    if (isPause) await pauseSandbox(deps, sandbox, 'idle');
    else await stop();
    return { outcome: 'expired' };
  }
  const warned = status.idleWarningAt === undefined ? 0 : Date.parse(status.idleWarningAt);
  if (lastActivityMs !== undefined && warned > lastActivityMs) return undefined;
  const action = isPause ? 'pauses' : 'stops';
  const inSeconds = Math.ceil((due.expireAt - now) / 1000);
  await deps.status.note(
    sandbox,
    'IdleSoon',
    `idle: ${action} in ${inSeconds}s unless it is used (exec, terminal or preview)`,
    EventType.Warning,
  );
  const written = await deps.status.patch(sandbox, { idleWarningAt: deps.now().toISOString() });
  return { outcome: 'warned', sandbox: written };
}
