import {
  type AnyResource,
  formatDurationMs,
  isPaddockError,
  type ObjectKey,
  type ResourceStore,
  RuntimeState,
  type Sandbox,
  type SandboxEvent,
  SandboxPhase,
  SandboxReason,
  type SandboxRef,
  type SandboxRuntime,
  type SandboxStatus,
} from '@paddock/core';
import type { AdmissionLedger } from './admission-ledger.ts';
import type { EventRecorder } from './event-recorder.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from './kit/finalizers.ts';
import { StatusWriter } from './kit/status-writer.ts';
import type { ReconcileResult } from './kit/work-queue.ts';
import { sandboxLifecycle } from './lifecycles.ts';
import { MAIN_PROCESS_ID, startMainProcess } from './provisioning.ts';
import type { CredentialSource } from './runs/credential-delivery.ts';
import { runtimeRefOf } from './runtime-ref.ts';
import {
  expiry,
  latest,
  nextDeadline,
  shutdownTimeOf,
  timeoutMsOf,
  untilDeadline,
  wallClockDeadlines,
} from './sandbox-deadlines.ts';
import {
  canPause,
  expireIdle,
  isStartRequestedAfter,
  pauseSandbox,
  reconcilePaused,
  resumeSandbox,
  warnPauseUnsupported,
} from './sandbox-pause.ts';
import { admit, create } from './sandbox-start.ts';
import type { WarmPool } from './warm-pool.ts';

/** Held on every Sandbox until its runtime state is destroyed. */
export const SANDBOX_FINALIZER = 'paddock.dev/sandbox-runtime';

/**
 * A Sandbox as it is created: with the controller's finalizer already (as a mutating admission
 * would set it), so the controller's first pass need not write it in a second commit.
 */
export function withSandboxFinalizer<T extends AnyResource>(resource: T): T {
  if (resource.kind !== 'Sandbox' || hasFinalizer(resource, SANDBOX_FINALIZER)) return resource;
  const finalizers = [...(resource.metadata.finalizers ?? []), SANDBOX_FINALIZER];
  return { ...resource, metadata: { ...resource.metadata, finalizers } };
}
export { START_REQUESTED_ANNOTATION } from './sandbox-pause.ts';
/** Set (to an RFC 3339 time) to send an errored sandbox back through admission. */
export const RETRY_REQUESTED_ANNOTATION = 'paddock.dev/retry-requested-at';

export type ReconcileDeps = {
  store: ResourceStore;
  runtime: SandboxRuntime;
  events: EventRecorder;
  now: () => Date;
  warmPool?: WarmPool;
  /** Where template `mounts[].credential` are read, with the sandbox owner's rights. */
  credentials?: CredentialSource;
  /**
   * The controller's admissions not yet in a status (one per controller): quotas count them, and
   * admissions are taken one at a time.
   */
  admissions: AdmissionLedger;
};

/** One pass: the deps and the status writer of the Sandbox lifecycle. */
export type Pass = ReconcileDeps & { status: StatusWriter<Sandbox, SandboxStatus, SandboxEvent> };

/**
 * Drives one Sandbox one step towards its spec. Idempotent and safe to retry: every runtime call
 * is idempotent and every status write is conditional on the version read, so a crash at any line
 * leaves a state the next pass repairs.
 */
export async function reconcileSandbox(
  reconcileDeps: ReconcileDeps,
  key: ObjectKey,
): Promise<ReconcileResult> {
  const deps: Pass = {
    ...reconcileDeps,
    status: new StatusWriter(sandboxLifecycle, reconcileDeps),
  };
  let sandbox: Sandbox;
  try {
    sandbox = await deps.store.get('Sandbox', key);
  } catch (error) {
    if (isPaddockError(error, 'not_found')) return {};
    throw error;
  }
  if (sandbox.metadata.deletionTimestamp) return finalize(deps, sandbox);
  sandbox = await addFinalizer(deps.store, sandbox, SANDBOX_FINALIZER);
  const phase = sandbox.status?.phase ?? SandboxPhase.Pending;
  switch (phase) {
    case SandboxPhase.Pending:
      return admit(deps, sandbox);
    case SandboxPhase.Creating:
      return create(deps, sandbox);
    case SandboxPhase.Running:
      return running(deps, sandbox);
    case SandboxPhase.Stopped:
      return stopped(deps, sandbox);
    case SandboxPhase.Paused:
      // The wall clock runs on while it is paused: at its deadline it stops (or goes) frozen.
      if (await expireWallClock(deps, sandbox)) return {};
      return reconcilePaused(
        deps,
        sandbox,
        (events) => stopRuntime(deps, sandbox, events),
        (resumed) => nextDeadline(deps, resumed),
        () => untilDeadline(deps, wallClockDeadlines(deps, sandbox)),
      );
    case SandboxPhase.Error:
      return errored(deps, sandbox);
    case SandboxPhase.Deleting:
      return {};
    default: {
      const unknown: never = phase;
      throw new Error(`unhandled phase ${String(unknown)}`);
    }
  }
}

async function stopRuntime(
  deps: Pass,
  sandbox: Sandbox,
  events: SandboxEvent[],
): Promise<ReconcileResult> {
  await deps.runtime.stop(runtimeRefOf(sandbox));
  await deps.status.transition(sandbox, events);
  return {};
}

async function running(deps: Pass, sandbox: Sandbox): Promise<ReconcileResult> {
  const status = deps.status.current(sandbox);
  const ref = runtimeRefOf(sandbox);
  if (sandbox.spec.desiredState === 'Stopped') {
    return stopRuntime(deps, sandbox, [{ type: 'StopRequested' }, { type: 'Stopped' }]);
  }
  if (sandbox.spec.desiredState === 'Paused') {
    if (canPause(deps.runtime)) {
      await pauseSandbox(deps, sandbox, 'user');
      return {};
    }
    if (await warnPauseUnsupported(deps, sandbox)) return { requeueAfterMs: 0 };
  }
  const observation = await deps.runtime.observe(ref);
  if (observation.state === RuntimeState.Paused) {
    // Frozen outside a recorded pause (a crash before the status write): it should run.
    return nextDeadline(deps, await resumeSandbox(deps, sandbox));
  }
  if (observation.state === RuntimeState.Absent) {
    await deps.status.transition(sandbox, [
      { type: 'RuntimeLost', message: 'the runtime no longer holds this sandbox' },
    ]);
    return {};
  }
  const spec = status.resolved ?? {};
  if (spec.command) {
    const main = (await deps.runtime.listProcesses(ref)).find((p) => p.id === MAIN_PROCESS_ID);
    if (main && !main.running) {
      await deps.runtime.stop(ref);
      await deps.status.transition(sandbox, [
        { type: 'ProcessExited', exitCode: main.exit?.exitCode ?? -1 },
      ]);
      return {};
    }
  }
  if (observation.state !== RuntimeState.Running) {
    // The sandbox's processes are gone but it should run (a host reboot, a crash): bring it back.
    await deps.runtime.start(ref);
    await startMainProcess(deps.runtime, ref, spec);
    await deps.status.note(
      sandbox,
      'Restarted',
      `the runtime found it ${observation.state}; started it again`,
    );
  }
  if (await expireWallClock(deps, sandbox)) return {};
  const lastActivity = latest(observation.lastActivityAt, status.lastActivityAt, status.startedAt);
  const observed = latest(observation.lastActivityAt);
  const recorded = latest(status.lastActivityAt);
  let current =
    observed !== undefined && (recorded === undefined || observed - recorded >= ACTIVITY_WRITE_MS)
      ? await deps.status.patch(sandbox, { lastActivityAt: observation.lastActivityAt })
      : sandbox;
  const idle = await expireIdle(deps, current, lastActivity, () =>
    stopRuntime(deps, current, [{ type: 'IdleTimedOut' }]),
  );
  if (idle?.outcome === 'expired') return {};
  if (idle?.outcome === 'warned') current = idle.sandbox;
  return nextDeadline(deps, current);
}

/**
 * Exec activity goes into the status once it is this much newer than what the status holds: the
 * pass that follows readiness (or a write) commits nothing for an exec made meanwhile, and the
 * idle clock, which reads the runtime's own record too, loses nothing by it.
 */
const ACTIVITY_WRITE_MS = 1000;

/**
 * At its wall-clock timeout (`status.expiresAt`) or `spec.shutdownTime`, whichever comes first:
 * deletes the sandbox (`shutdownPolicy: Delete`, at its shutdown time) or stops it (`TimedOut`).
 * Whether it was due.
 */
async function expireWallClock(deps: Pass, sandbox: Sandbox): Promise<boolean> {
  const status = deps.status.current(sandbox);
  const now = deps.now().getTime();
  const shutdownAt = shutdownTimeOf(sandbox);
  if (shutdownAt !== undefined && shutdownAt <= now && sandbox.spec.shutdownPolicy === 'Delete') {
    const { namespace, name } = sandbox.metadata;
    await deps.store.delete('Sandbox', {
      ...(namespace === undefined ? {} : { namespace }),
      name: name ?? '',
    });
    return true;
  }
  if (
    (status.expiresAt && Date.parse(status.expiresAt) <= now) ||
    (shutdownAt !== undefined && shutdownAt <= now)
  ) {
    await stopRuntime(deps, sandbox, [{ type: 'TimedOut' }]);
    return true;
  }
  return false;
}

async function stopped(deps: Pass, sandbox: Sandbox): Promise<ReconcileResult> {
  const status = deps.status.current(sandbox);
  // A stopped sandbox asked to pause stays stopped: there is nothing to freeze.
  if (sandbox.spec.desiredState !== 'Running') return {};
  const stoppedByUser = status.reason === SandboxReason.StoppedByUser;
  if (!stoppedByUser && !isStartRequestedAfter(sandbox, status.stoppedAt)) return {};
  const ref = runtimeRefOf(sandbox);
  await deps.runtime.start(ref);
  const spec = status.resolved ?? {};
  await startMainProcess(deps.runtime, ref, spec);
  const now = deps.now();
  const timeoutMs = timeoutMsOf(spec);
  const written = await deps.status.transition(
    sandbox,
    [{ type: 'StartRequested' }, { type: 'Started' }],
    { ...expiry(spec, now), lastActivityAt: now.toISOString() },
  );
  if (timeoutMs > 0)
    await deps.status.note(written, 'Started', `expires in ${formatDurationMs(timeoutMs)}`);
  return nextDeadline(deps, written);
}

async function errored(deps: Pass, sandbox: Sandbox): Promise<ReconcileResult> {
  const requested = sandbox.metadata.annotations?.[RETRY_REQUESTED_ANNOTATION];
  const since = deps.status
    .current(sandbox)
    .conditions.reduce((t, c) => Math.max(t, Date.parse(c.lastTransitionTime)), 0);
  if (requested === undefined || Date.parse(requested) <= since) return {};
  await deps.status.transition(sandbox, [{ type: 'RetryRequested' }]);
  return { requeueAfterMs: 0 };
}

async function finalize(deps: Pass, sandbox: Sandbox): Promise<ReconcileResult> {
  let current = sandbox;
  if (deps.status.current(current).phase !== SandboxPhase.Deleting) {
    current = await deps.status.transition(current, [{ type: 'DeleteRequested' }]);
  }
  if (!hasFinalizer(current, SANDBOX_FINALIZER)) return {};
  const ref: SandboxRef = runtimeRefOf(current);
  await deps.runtime.destroy(ref);
  await deps.status.note(current, 'Deleted', 'runtime state destroyed');
  await removeFinalizer(deps.store, current, SANDBOX_FINALIZER);
  return {};
}
