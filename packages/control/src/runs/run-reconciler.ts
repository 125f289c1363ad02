/**
 * Drives one Run: admission (its agent, governance), a sandbox (a new one owned by the run, or a
 * named existing one), the harness started in it as a background process, its transcript pumped
 * into the run's event log, and an outcome. Like the sandbox reconciler: idempotent, every status
 * write conditional on the version read, so a crash at any line leaves a state the next pass repairs.
 */
import {
  type AgentSpec,
  isPaddockError,
  isTerminalRunPhase,
  type ObjectKey,
  type ProcessHandle,
  parseDurationMs,
  type ResourceStore,
  RUN_LABEL,
  type Run,
  type RunEvent,
  type RunEventLog,
  RunPhase,
  type RunStatus,
  type Sandbox,
  SandboxPhase,
  type SandboxRef,
  type SandboxRuntime,
  type TemplateRef,
} from '@paddock/core';
import { isUsableBy, ownerOf } from '../access/ownership.ts';
import { OWNER_ANNOTATION } from '../admission.ts';
import type { EventRecorder } from '../event-recorder.ts';
import { addFinalizer, removeFinalizer } from '../kit/finalizers.ts';
import { queueKey } from '../kit/queue-key.ts';
import { StatusWriter } from '../kit/status-writer.ts';
import type { ReconcileResult } from '../kit/work-queue.ts';
import { runLifecycle } from '../lifecycles.ts';
import { cloneRepos } from '../provisioning.ts';
import { runtimeRefOf } from '../runtime-ref.ts';
import { type CredentialSource, deliverCredentials } from './credential-delivery.ts';
import { type GatewayAccess, type HarnessPaths, planHarness, RUN_DIR } from './harness-plan.ts';
import { runViolations, type SpentToday } from './run-admission.ts';
import { agentOfRun } from './run-agent.ts';
import type { PumpState, RunPumps } from './run-pump.ts';

/** Held on every Run until its harness is stopped, its sandbox released and its log removed. */
export const RUN_FINALIZER = 'paddock.dev/run';
/** Set (to an RFC 3339 time) by the cancel route. */
export const CANCEL_REQUESTED_ANNOTATION = 'paddock.dev/cancel-requested-at';
/** Set by the gateway's budget hook to the limit that refused a call (`maxUsd`, `dailyUsd`, …). */
export const BUDGET_EXCEEDED_ANNOTATION = 'paddock.dev/budget-exceeded';
/** The built-in template a run's sandbox comes from when neither the run nor its agent names one. */
export const DEFAULT_RUN_TEMPLATE: TemplateRef = { kind: 'ClusterSandboxTemplate', name: 'agent' };

export type RunReconcileDeps = {
  store: ResourceStore;
  runtime: SandboxRuntime;
  runLog: RunEventLog;
  pumps: RunPumps;
  events: EventRecorder;
  harness: HarnessPaths;
  /** A gateway URL (as sandboxes see it) and a fresh token for the run. */
  gatewayFor: (run: Run, agent: AgentSpec) => GatewayAccess | Promise<GatewayAccess>;
  spentToday: SpentToday;
  /** When each finished run's harness was sent SIGTERM (run uid → ms), in this process. */
  stopping: Map<string, number>;
  now: () => Date;
  /** The credentials agents declare (`as: env | file`); none can be delivered when absent. */
  credentials?: CredentialSource;
};

/** How long a harness has between SIGTERM and SIGKILL to record its end. */
export const STOP_GRACE_MS = 10_000;

/** One pass: the deps and the status writer of the Run lifecycle. */
type Pass = RunReconcileDeps & { status: StatusWriter<Run, RunStatus, RunEvent> };

/** The harness's background process id inside the sandbox (process ids are at most 63 long). */
export function harnessProcessId(run: Run): string {
  return `run-${run.metadata.name}`.slice(0, 63).replace(/[-.]+$/, '');
}

/** The name of the sandbox a run creates for itself. */
export function runSandboxName(run: Run): string {
  return `run-${run.metadata.name}`.slice(0, 63).replace(/-+$/, '');
}

export async function reconcileRun(
  reconcileDeps: RunReconcileDeps,
  key: ObjectKey,
): Promise<ReconcileResult> {
  const deps: Pass = { ...reconcileDeps, status: new StatusWriter(runLifecycle, reconcileDeps) };
  let run: Run;
  try {
    run = await deps.store.get('Run', key);
  } catch (error) {
    if (isPaddockError(error, 'not_found')) return {};
    throw error;
  }
  if (run.metadata.deletionTimestamp) return finalize(deps, run);
  run = await addFinalizer(deps.store, run, RUN_FINALIZER);
  const phase = run.status?.phase ?? RunPhase.Pending;
  if (isTerminalRunPhase(phase)) return settle(deps, run);
  const annotations = run.metadata.annotations ?? {};
  if (annotations[CANCEL_REQUESTED_ANNOTATION]) {
    await deps.status.transition(run, [{ type: 'CancelRequested' }]);
    return {};
  }
  const limit = annotations[BUDGET_EXCEEDED_ANNOTATION];
  if (limit && phase !== RunPhase.Pending) {
    await deps.status.transition(run, [{ type: 'BudgetExceeded', limit }]);
    return {};
  }
  switch (phase) {
    case RunPhase.Pending:
      return pending(deps, run);
    case RunPhase.Starting:
      return starting(deps, run);
    case RunPhase.Running:
      return running(deps, run);
    default:
      return {};
  }
}

/** Ends the run `Failed` with `message`. */
async function fail(deps: Pass, run: Run, message: string): Promise<ReconcileResult> {
  await deps.status.transition(run, [{ type: 'Failed', message }]);
  return {};
}

/**
 * Whether the run may work in `sandbox`: a named one its owner may use, or the one it created for
 * itself (a same-named sandbox of anyone else is never adopted).
 */
function mayUse(run: Run, sandbox: Sandbox): boolean {
  if (run.spec.sandbox?.name) return isUsableBy(ownerOf(run), sandbox);
  return sandbox.metadata.ownerReferences?.some((o) => o.uid === run.metadata.uid) ?? false;
}

/** How often a run waiting for an earlier run's sandbox to go looks again, events aside. */
const LEFTOVER_RECHECK_MS = 2000;

/**
 * Whether `sandbox` is the one an earlier run of the same name made for itself, being deleted
 * with it: a run that made none of its own waits for it to go instead of failing.
 */
function isLeftOfEarlierRun(run: Run, sandbox: Sandbox): boolean {
  if (run.spec.sandbox?.name || !sandbox.metadata.deletionTimestamp) return false;
  return (
    sandbox.metadata.ownerReferences?.some(
      (o) => o.kind === 'Run' && o.name === run.metadata.name && o.uid !== run.metadata.uid,
    ) ?? false
  );
}

async function pending(deps: Pass, run: Run): Promise<ReconcileResult> {
  let agent: AgentSpec;
  try {
    agent = await agentOfRun(deps.store, run);
  } catch (error) {
    if (!isPaddockError(error, 'not_found')) throw error;
    return fail(deps, run, `agent ${run.spec.agentRef?.name} not found`);
  }
  const refused = await runViolations(deps.store, deps.spentToday, run, agent);
  if (refused.length > 0) {
    return fail(
      deps,
      run,
      `refused by policy: ${refused.map((v) => `${v.code}: ${v.message}`).join('; ')}`,
    );
  }
  const namespace = run.metadata.namespace ?? 'default';
  const name = run.spec.sandbox?.name ?? runSandboxName(run);
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await deps.store.get('Sandbox', { namespace, name });
  } catch (error) {
    if (!isPaddockError(error, 'not_found')) throw error;
  }
  if (sandbox !== undefined && isLeftOfEarlierRun(run, sandbox)) {
    // A run deleted and made again under its name: the sandbox of the one before is still
    // going (its deletion waits on its own finalizer). Its going wakes this run (owner's name).
    return { requeueAfterMs: LEFTOVER_RECHECK_MS };
  }
  if (sandbox !== undefined && !mayUse(run, sandbox)) {
    const why = run.spec.sandbox?.name ? 'not found' : "already exists and is not this run's";
    return fail(deps, run, `sandbox ${name} ${why}`);
  }
  if (sandbox === undefined) {
    if (run.spec.sandbox?.name) {
      return fail(deps, run, `sandbox ${name} not found`);
    }
    // Its sandbox's events (the run owns it) wake the run again.
    await createRunSandbox(deps, run, agent, name);
    return {};
  }
  const phase = sandbox.status?.phase ?? SandboxPhase.Pending;
  if (phase === SandboxPhase.Error) {
    return fail(deps, run, `sandbox ${name} failed: ${sandbox.status?.message ?? 'unknown error'}`);
  }
  if (phase !== SandboxPhase.Running) return {}; // the sandbox's next change wakes the run
  await deps.status.transition(run, [{ type: 'SandboxAssigned', sandboxName: name }]);
  return { requeueAfterMs: 0 };
}

async function createRunSandbox(deps: Pass, run: Run, agent: AgentSpec, name: string) {
  const owner = run.metadata.annotations?.[OWNER_ANNOTATION];
  try {
    await deps.store.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: {
        name,
        namespace: run.metadata.namespace ?? 'default',
        labels: { [RUN_LABEL]: run.metadata.name ?? '' },
        ...(owner === undefined ? {} : { annotations: { [OWNER_ANNOTATION]: owner } }),
        ownerReferences: [
          {
            apiVersion: 'paddock.dev/v1alpha1',
            kind: 'Run',
            name: run.metadata.name ?? '',
            uid: run.metadata.uid ?? '',
            controller: true,
          },
        ],
      },
      spec: {
        templateRef: run.spec.sandbox?.templateRef ?? agent.templateRef ?? DEFAULT_RUN_TEMPLATE,
        desiredState: 'Running',
      },
    });
  } catch (error) {
    if (!isPaddockError(error, 'already_exists')) throw error;
  }
}

async function assignedSandbox(deps: Pass, run: Run): Promise<Sandbox | undefined> {
  const name = run.status?.sandboxName;
  if (!name) return undefined;
  try {
    return await deps.store.get('Sandbox', {
      namespace: run.metadata.namespace ?? 'default',
      name,
    });
  } catch (error) {
    if (isPaddockError(error, 'not_found')) return undefined;
    throw error;
  }
}

async function sandboxRef(deps: Pass, run: Run): Promise<SandboxRef | undefined> {
  const sandbox = await assignedSandbox(deps, run);
  return sandbox === undefined ? undefined : runtimeRefOf(sandbox);
}

/**
 * The ref of the run's sandbox while the run may still work in it, or why it may not: gone, or
 * (a named one) no longer usable by the run's owner, who was taken off its `sharedWith`, say.
 */
async function usableRef(deps: Pass, run: Run): Promise<SandboxRef | string> {
  const sandbox = await assignedSandbox(deps, run);
  const name = run.status?.sandboxName;
  if (sandbox === undefined) return `sandbox ${name} is gone`;
  if (!mayUse(run, sandbox)) return `sandbox ${name} may no longer be used by ${ownerOf(run)}`;
  return runtimeRefOf(sandbox);
}

async function starting(deps: Pass, run: Run): Promise<ReconcileResult> {
  const ref = await usableRef(deps, run);
  if (typeof ref === 'string') return fail(deps, run, ref);
  const processId = harnessProcessId(run);
  const processes = await deps.runtime.listProcesses(ref);
  if (!processes.some((p) => p.id === processId)) {
    const agent = await agentOfRun(deps.store, run);
    const failed = await cloneRepos(deps.runtime, ref, agent.repos ?? [], (step, message) =>
      deps.status.note(run, 'RepoCloned', `${step}: ${message}`),
    );
    if (failed) {
      const detail = failed.output ? `: ${failed.output}` : '';
      return fail(deps, run, `${failed.step} failed${detail}`);
    }
    const plan = planHarness(run, agent, deps.harness, await deps.gatewayFor(run, agent));
    try {
      await deps.runtime.files.mkdir(ref, `${RUN_DIR}/inbox`);
      for (const file of plan.files) {
        await deps.runtime.files.write(ref, file.path, new TextEncoder().encode(file.content), {
          mode: 0o600,
        });
      }
      const credentialEnv = await deliverCredentials(
        deps.credentials,
        deps.runtime,
        run,
        agent,
        ref,
      );
      const handle = await deps.runtime.exec(ref, {
        command: plan.command,
        env: { ...plan.env, ...credentialEnv },
        cwd: '/workspace',
        background: true,
        processId,
      });
      ignoreOutput(handle);
    } catch (error) {
      if (!isPaddockError(error)) throw error;
      return fail(deps, run, `the harness did not start: ${error.message}`);
    }
  }
  await deps.status.transition(run, [{ type: 'HarnessStarted' }]);
  return { requeueAfterMs: 0 };
}

function outcomeEvent(state: PumpState): RunEvent | undefined {
  const finished = state.finished;
  if (finished) {
    switch (finished.outcome) {
      case 'succeeded':
        return {
          type: 'Completed',
          result: { ...(finished.result === undefined ? {} : { text: finished.result }) },
        };
      case 'failed':
        return { type: 'Failed', message: finished.message ?? 'the harness reported a failure' };
      case 'cancelled':
        return { type: 'CancelRequested' };
      case 'budget_exceeded':
        return { type: 'BudgetExceeded', limit: finished.limit ?? 'budget' };
      case 'timed_out':
        return { type: 'TimedOut' };
    }
  }
  if (state.exit) {
    const { exitCode, signal } = state.exit;
    if (exitCode === 0) {
      return {
        type: 'Completed',
        result: { exitCode: 0, ...(state.lastText === undefined ? {} : { text: state.lastText }) },
      };
    }
    return {
      type: 'Failed',
      message: `the harness exited ${exitCode === null ? `on ${signal}` : `with code ${exitCode}`} without finishing`,
      ...(exitCode === null ? {} : { exitCode }),
    };
  }
  if (state.error) return { type: 'Failed', message: state.error };
  return undefined;
}

async function running(deps: Pass, run: Run): Promise<ReconcileResult> {
  // Asked again on every change of the sandbox: a run's owner taken off it stops working there.
  const ref = await usableRef(deps, run);
  if (typeof ref === 'string') return fail(deps, run, ref);
  const state = deps.pumps.ensure(
    queueKey(run.metadata),
    run.metadata.uid ?? '',
    ref,
    harnessProcessId(run),
  );
  const outcome = outcomeEvent(state);
  if (outcome) {
    await deps.status.transition(run, [outcome], { usage: state.usage });
    return {};
  }
  const agent = await agentOfRun(deps.store, run).catch(() => undefined);
  const timeoutMs = agent?.budget?.timeout ? parseDurationMs(agent.budget.timeout) : 0;
  const startedAt = Date.parse(run.status?.startedAt ?? '');
  const leftMs =
    timeoutMs > 0 && Number.isFinite(startedAt)
      ? startedAt + timeoutMs - deps.now().getTime()
      : undefined;
  if (leftMs !== undefined && leftMs <= 0) {
    await deps.status.transition(run, [{ type: 'TimedOut' }], { usage: state.usage });
    return {};
  }
  await deps.status.patch(run, { usage: state.usage });
  return leftMs === undefined ? {} : { requeueAfterMs: leftMs };
}

/**
 * After the outcome: the harness is told to stop (a cancel, a timeout, a budget) and its last
 * output is still pumped into the log. A sandbox the run created stays up for inspection (files,
 * terminal) until its template's idle timeout stops it, and is deleted with the run.
 */
async function settle(deps: Pass, run: Run): Promise<ReconcileResult> {
  const ref = await sandboxRef(deps, run);
  if (ref === undefined) return {};
  const processId = harnessProcessId(run);
  const info = (await deps.runtime.listProcesses(ref).catch(() => [])).find(
    (p) => p.id === processId,
  );
  const uid = run.metadata.uid ?? '';
  if (info?.running) {
    deps.pumps.ensure(queueKey(run.metadata), uid, ref, processId);
    // One SIGTERM, then time to record its own end (a second one makes a harness quit at once),
    // then SIGKILL.
    const nowMs = deps.now().getTime();
    const termedAt = deps.stopping.get(uid);
    const signal =
      termedAt === undefined
        ? 'SIGTERM'
        : nowMs - termedAt >= STOP_GRACE_MS
          ? 'SIGKILL'
          : undefined;
    if (signal !== undefined) {
      if (termedAt === undefined) deps.stopping.set(uid, nowMs);
      const handle = await deps.runtime.attach(ref, processId);
      ignoreOutput(handle);
      await handle.signal(signal).catch(() => {});
    }
    return { requeueAfterMs: 1000 };
  }
  deps.stopping.delete(uid);
  const state = deps.pumps.state(uid);
  // The pump wakes the run once it has drained the harness's output.
  if (state && state.exit === undefined && state.error === undefined) return {};
  deps.pumps.forget(uid);
  return {};
}

/** The harness's output reaches the run through its transcript, never through this handle. */
function ignoreOutput(handle: ProcessHandle): void {
  void handle.stdout.cancel().catch(() => {});
  void handle.stderr.cancel().catch(() => {});
}

/** A deleted run: stop its pump, delete the sandbox it created, drop its log, release the finalizer. */
async function finalize(deps: Pass, run: Run): Promise<ReconcileResult> {
  const uid = run.metadata.uid ?? '';
  await deps.pumps.stop(uid);
  const namespace = run.metadata.namespace ?? 'default';
  const owned = await deps.store.list('Sandbox', {
    namespace,
    labelSelector: `${RUN_LABEL}=${run.metadata.name}`,
  });
  for (const sandbox of owned.items) {
    if (!sandbox.metadata.ownerReferences?.some((o) => o.uid === uid)) continue;
    await deps.store
      .delete('Sandbox', { namespace, name: sandbox.metadata.name ?? '' })
      .catch((error: unknown) => {
        if (!isPaddockError(error, 'not_found')) throw error;
      });
  }
  if (run.spec.sandbox?.name) {
    const ref = await sandboxRef(deps, run);
    if (ref) {
      const handle = await deps.runtime.attach(ref, harnessProcessId(run)).catch(() => undefined);
      if (handle) {
        ignoreOutput(handle);
        await handle.signal('SIGKILL').catch(() => {});
      }
    }
  }
  await deps.runLog.remove(uid);
  await removeFinalizer(deps.store, run, RUN_FINALIZER);
  return {};
}
