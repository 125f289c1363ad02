// A Sandbox's way to Running: admission (governance and quotas, through the controller's
// admission ledger), then a warm-pool claim or a cold start in the runtime, its template's
// provisioning steps, its main process and the status that says it is ready. A start that is
// soon over is recorded in one status write; a longer one says Creating meanwhile.
import {
  EventType,
  findCondition,
  isPaddockError,
  RuntimeState,
  type Sandbox,
  type SandboxEnvironment,
  type SandboxEvent,
  type SandboxRef,
  type SandboxStatus,
} from '@paddock/core';
import { admitSandbox } from './admission.ts';
import { provisionRefusal, provisionRequestOf } from './host-mount-provision.ts';
import { settledWithin } from './kit/settled-within.ts';
import type { ReconcileResult } from './kit/work-queue.ts';
import { applyProvisioningSteps, hasProvisioningSteps, startMainProcess } from './provisioning.ts';
import { refToId, runtimeRefOf } from './runtime-ref.ts';
import { expiry, nextDeadline } from './sandbox-deadlines.ts';
import type { Pass } from './sandbox-reconciler.ts';

/** A Pending sandbox: admitted (or rejected) and started; its admission counts until recorded. */
export async function admit(deps: Pass, sandbox: Sandbox): Promise<ReconcileResult> {
  const uid = sandbox.metadata.uid ?? '';
  try {
    return await admitAndStart(deps, sandbox);
  } finally {
    deps.admissions.recorded(uid);
  }
}

async function admitAndStart(deps: Pass, sandbox: Sandbox): Promise<ReconcileResult> {
  const admittedAt = deps.now();
  const { admissions } = deps;
  let result: Awaited<ReturnType<typeof admitSandbox>>;
  try {
    result = await admissions.admit(sandbox.metadata.uid ?? '', () =>
      admitSandbox(deps.store, sandbox, { admitted: admissions.unrecorded }),
    );
  } catch (error) {
    if (
      isPaddockError(error) &&
      (error.code === 'template_invalid' || error.code === 'template_not_found')
    ) {
      await deps.status.transition(sandbox, [{ type: 'Rejected', message: error.message }]);
      return {};
    }
    throw error;
  }
  if (!result.admitted) {
    await deps.status.transition(sandbox, [{ type: 'Rejected', message: result.message }]);
    return {};
  }
  const admitted = { resolved: result.spec, origins: { ...result.origins } };
  // A warm entry makes the sandbox ready at once: admission and readiness in one status write.
  const claimed = await deps.warmPool?.claim(sandbox, result.spec);
  if (claimed) {
    return markProvisioned(deps, sandbox, claimed, result.spec, {
      fromWarmPool: true,
      before: [{ type: 'Admitted' }],
      since: admittedAt,
      patch: admitted,
    });
  }
  const ref = runtimeRefOf(sandbox);
  const starting = startCold(deps, sandbox, ref, result.spec);
  // A start that is soon over records admission and readiness (or its refusal) in one status
  // write: a write, its events and every watcher's echo fewer per create. A crash before that
  // write leaves a started sandbox that the next pass, admitting again, finds already provisioned
  // (provisioning is idempotent).
  const started = hasProvisioningSteps(result.spec)
    ? undefined
    : await settledWithin(starting, CREATING_AFTER_MS);
  if (started?.status === 'fulfilled') {
    const failure = started.value;
    if (failure === undefined) {
      return markProvisioned(deps, sandbox, ref, result.spec, {
        before: [{ type: 'Admitted' }],
        since: admittedAt,
        patch: admitted,
      });
    }
    await deps.status.transition(sandbox, [{ type: 'Admitted' }, failure], {
      ...admitted,
      runtime: runtimeStatusOf(deps, ref),
    });
    return {};
  }
  // A longer start, one with provisioning steps or one to retry (the runtime unavailable, say)
  // says Creating meanwhile: the commit costs the start nothing.
  const [written, start] = await Promise.allSettled([
    deps.status.transition(sandbox, [{ type: 'Admitted' }], admitted),
    starting,
  ]);
  if (written.status === 'rejected') throw written.reason;
  if (start.status === 'rejected') throw start.reason;
  return provisioned(deps, written.value, ref, result.spec, start.value);
}

/** How long a cold start may take before the status says Creating (otherwise Pending → Running). */
export const CREATING_AFTER_MS = 1000;

/** Starts a cold sandbox in the runtime: the refusal to record, or undefined once it runs. */
async function startCold(
  deps: Pass,
  sandbox: Sandbox,
  ref: SandboxRef,
  spec: SandboxEnvironment,
): Promise<SandboxEvent | undefined> {
  try {
    const request = await provisionRequestOf(deps.store, sandbox, ref, spec, deps.credentials);
    const observation = await deps.runtime.provision(request);
    // Made but never started (a crash cut its provision short): provision observes an existing
    // sandbox as it is, and the readiness written next must be true.
    if (observation.state === RuntimeState.Stopped) await deps.runtime.start(ref);
    return undefined;
  } catch (error) {
    const refusal = provisionRefusal(error);
    if (refusal !== undefined) return { type: 'ProvisionFailed', ...refusal };
    if (isPaddockError(error, 'runtime_unavailable')) {
      // Retried with backoff (the runtime may come back); said on the sandbox's timeline meanwhile.
      await deps.status.note(sandbox, 'RuntimeUnavailable', error.message, EventType.Warning);
    }
    throw error;
  }
}

/**
 * After a cold start (`failure`: its refusal): runs the template's provisioning steps and marks
 * the sandbox ready, or records why it failed.
 */
async function provisioned(
  deps: Pass,
  sandbox: Sandbox,
  ref: SandboxRef,
  spec: SandboxEnvironment,
  failure: SandboxEvent | undefined,
): Promise<ReconcileResult> {
  const failed =
    failure ??
    (await applyProvisioningSteps(deps.runtime, ref, spec, (step, message) =>
      deps.status.note(sandbox, 'ProvisionStep', `${step}: ${message}`),
    ).then((step) => (step ? ({ type: 'ProvisionFailed', ...step } as const) : undefined)));
  if (failed) {
    await deps.status.transition(sandbox, [failed], { runtime: runtimeStatusOf(deps, ref) });
    return {};
  }
  const admitted = findCondition(deps.status.current(sandbox).conditions, 'Admitted');
  return markProvisioned(deps, sandbox, ref, spec, {
    since: startupOrigin(sandbox, admitted?.lastTransitionTime),
  });
}

/** A Creating sandbox (its start was cut short, or is slow): started again, or claimed. */
export async function create(deps: Pass, sandbox: Sandbox): Promise<ReconcileResult> {
  const status = deps.status.current(sandbox);
  const spec = status.resolved ?? {};
  // No status write before the runtime work: a cold sandbox's runtime identity is its own, and a
  // claimed warm entry that a crash leaves unrecorded is re-adopted by the pool on restart.
  const claimed = status.runtime ? undefined : await deps.warmPool?.claim(sandbox, spec);
  const fromWarmPool = claimed !== undefined || status.fromWarmPool === true;
  if (!fromWarmPool) {
    const ref = runtimeRefOf(sandbox);
    return provisioned(deps, sandbox, ref, spec, await startCold(deps, sandbox, ref, spec));
  }
  const admitted = findCondition(status.conditions, 'Admitted')?.lastTransitionTime;
  return markProvisioned(deps, sandbox, claimed ?? runtimeRefOf(sandbox), spec, {
    fromWarmPool: true,
    since: startupOrigin(sandbox, admitted),
  });
}

/**
 * When startup began: admission (conditions carry milliseconds), else creation. Stores keep
 * creationTimestamp to the second, as Kubernetes does, which is too coarse to time a start by.
 */
function startupOrigin(sandbox: Sandbox, admittedAt: string | undefined): Date {
  return new Date(admittedAt ?? sandbox.metadata.creationTimestamp ?? 0);
}

/** The runtime a sandbox's status names: this runtime and the sandbox's id in it. */
function runtimeStatusOf(deps: Pass, ref: SandboxRef): { name: string; id: string } {
  return { name: deps.runtime.name, id: refToId(ref) };
}

/**
 * Starts the main process and records readiness. `before`: events recorded in the same write
 * (admission, when the start was soon over or a warm claim); `since`: when startup began;
 * `patch`: more status to write with it (what admission resolved).
 */
async function markProvisioned(
  deps: Pass,
  sandbox: Sandbox,
  ref: SandboxRef,
  spec: SandboxEnvironment,
  readiness: {
    fromWarmPool?: boolean;
    before?: SandboxEvent[];
    since: Date;
    patch?: Partial<SandboxStatus>;
  },
): Promise<ReconcileResult> {
  const { fromWarmPool = false, before = [], since, patch = {} } = readiness;
  // Created to be stopped: its command never runs, and the next pass stops it.
  const isToStop = sandbox.spec.desiredState === 'Stopped';
  if (!isToStop) await startMainProcess(deps.runtime, ref, spec);
  // A warm entry was observed when it started: its limits and rootlessness have not changed.
  const observation =
    (fromWarmPool ? deps.warmPool?.takeFacts(ref) : undefined) ?? (await deps.runtime.observe(ref));
  const now = deps.now();
  const written = await deps.status.transition(
    sandbox,
    [
      ...before,
      {
        type: 'Provisioned',
        startupDurationMs: Math.max(0, now.getTime() - since.getTime()),
        fromWarmPool,
      },
    ],
    {
      ...patch,
      runtime: {
        ...runtimeStatusOf(deps, ref),
        ...(observation.rootless === undefined ? {} : { rootless: observation.rootless }),
      },
      ...expiry(spec, now),
      ...(observation.limits ? { limits: observation.limits } : {}),
      lastActivityAt: now.toISOString(),
    },
  );
  if (fromWarmPool) deps.warmPool?.claimRecorded(ref);
  if (isToStop) return { requeueAfterMs: 0 };
  const next = nextDeadline(deps, written);
  // No main process that could end by itself: the echo of this write needs no pass of its own.
  const settledVersion = spec.command ? undefined : written.metadata.resourceVersion;
  return settledVersion === undefined ? next : { ...next, settledVersion };
}
