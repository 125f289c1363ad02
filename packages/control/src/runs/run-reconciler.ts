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
  parseDurationMs,
  type ResourceStore,
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
  transitionRun,
} from '@paddock/core';
import { isUsableBy, ownerOf } from '../access/ownership.ts';
import { OWNER_ANNOTATION } from '../admission.ts';
import type { EventRecorder } from '../event-recorder.ts';
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
  gatewayFor: (run: Run, agent: AgentSpec) => GatewayAccess;
  spentToday: SpentToday;
  /** When each finished run's harness was sent SIGTERM (run uid → ms), in this process. */
  stopping: Map<string, number>;
  now: () => Date;
  /** The credentials agents declare (`as: env | file`); none can be delivered when absent. */
  credentials?: CredentialSource;
};

export type RunReconcileResult = { requeueAfterMs?: number };

/** How long a harness has between SIGTERM and SIGKILL to record its end. */
export const STOP_GRACE_MS = 10_000;

type Key = { namespace: string; name: string };

/** The harness's background process id inside the sandbox (process ids are at most 63 long). */
export function harnessProcessId(run: Run): string {
  return `run-${run.metadata.name}`.slice(0, 63).replace(/[-.]+$/, '');
}

/** The name of the sandbox a run creates for itself. */
export function runSandboxName(run: Run): string {
  return `run-${run.metadata.name}`.slice(0, 63).replace(/-+$/, '');
}

export async function reconcileRun(deps: RunReconcileDeps, key: Key): Promise<RunReconcileResult> {
  let run: Run;
  try {
    run = await deps.store.get('Run', key);
  } catch (error) {
    if (isPaddockError(error, 'not_found')) return {};
    throw error;
  }
  if (run.metadata.deletionTimestamp) return finalize(deps, run);
  if (!run.metadata.finalizers?.includes(RUN_FINALIZER)) {
    run = await deps.store.update({
      ...run,
      metadata: {
        ...run.metadata,
        finalizers: [...(run.metadata.finalizers ?? []), RUN_FINALIZER],
      },
    });
  }
  const phase = run.status?.phase ?? RunPhase.Pending;
  if (isTerminalRunPhase(phase)) return settle(deps, run);
  const annotations = run.metadata.annotations ?? {};
  if (annotations[CANCEL_REQUESTED_ANNOTATION]) {
    await transition(deps, run, { type: 'CancelRequested' });
    return {};
  }
  const limit = annotations[BUDGET_EXCEEDED_ANNOTATION];
  if (limit && phase !== RunPhase.Pending) {
    await transition(deps, run, { type: 'BudgetExceeded', limit });
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

function currentStatus(run: Run): RunStatus {
  return run.status ?? { phase: RunPhase.Pending, conditions: [] };
}

async function transition(
  deps: RunReconcileDeps,
  run: Run,
  event: RunEvent,
  patch: Partial<RunStatus> = {},
): Promise<Run> {
  const status = transitionRun({ ...currentStatus(run), ...patch }, event, deps.now());
  const written = await deps.store.updateStatus({
    ...run,
    status: { ...status, observedGeneration: run.metadata.generation ?? 1 },
  });
  await deps.events.record({
    kind: 'Run',
    namespace: run.metadata.namespace,
    name: run.metadata.name ?? '',
    uid: run.metadata.uid,
    type:
      event.type === 'Failed' || event.type === 'BudgetExceeded' || event.type === 'TimedOut'
        ? 'Warning'
        : 'Normal',
    reason: event.type,
    message: status.message ?? '',
    timestamp: deps.now().toISOString(),
  });
  return written;
}

/** Records an event about the run (no phase change). */
async function note(deps: RunReconcileDeps, run: Run, reason: string, message: string) {
  await deps.events.record({
    kind: 'Run',
    namespace: run.metadata.namespace,
    name: run.metadata.name ?? '',
    uid: run.metadata.uid,
    type: 'Normal',
    reason,
    message,
    timestamp: deps.now().toISOString(),
  });
}

/**
 * Whether the run may work in `sandbox`: a named one its owner may use, or the one it created for
 * itself (a same-named sandbox of anyone else is never adopted).
 */
function mayUse(run: Run, sandbox: Sandbox): boolean {
  if (run.spec.sandbox?.name) return isUsableBy(ownerOf(run), sandbox);
  return sandbox.metadata.ownerReferences?.some((o) => o.uid === run.metadata.uid) ?? false;
}

async function pending(deps: RunReconcileDeps, run: Run): Promise<RunReconcileResult> {
  let agent: AgentSpec;
  try {
    agent = await agentOfRun(deps.store, run);
  } catch (error) {
    if (!isPaddockError(error, 'not_found')) throw error;
    await transition(deps, run, {
      type: 'Failed',
      message: `agent ${run.spec.agentRef?.name} not found`,
    });
    return {};
  }
  const refused = await runViolations(deps.store, deps.spentToday, run, agent);
  if (refused.length > 0) {
    await transition(deps, run, {
      type: 'Failed',
      message: `refused by policy: ${refused.map((v) => `${v.code}: ${v.message}`).join('; ')}`,
    });
    return {};
  }
  const namespace = run.metadata.namespace ?? 'default';
  const name = run.spec.sandbox?.name ?? runSandboxName(run);
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await deps.store.get('Sandbox', { namespace, name });
  } catch (error) {
    if (!isPaddockError(error, 'not_found')) throw error;
  }
  if (sandbox !== undefined && !mayUse(run, sandbox)) {
    const why = run.spec.sandbox?.name ? 'not found' : "already exists and is not this run's";
    await transition(deps, run, { type: 'Failed', message: `sandbox ${name} ${why}` });
    return {};
  }
  if (sandbox === undefined) {
    if (run.spec.sandbox?.name) {
      await transition(deps, run, { type: 'Failed', message: `sandbox ${name} not found` });
      return {};
    }
    await createRunSandbox(deps, run, agent, name);
    return { requeueAfterMs: 100 };
  }
  const phase = sandbox.status?.phase ?? SandboxPhase.Pending;
  if (phase === SandboxPhase.Error) {
    await transition(deps, run, {
      type: 'Failed',
      message: `sandbox ${name} failed: ${sandbox.status?.message ?? 'unknown error'}`,
    });
    return {};
  }
  if (phase !== SandboxPhase.Running) return { requeueAfterMs: 100 };
  await transition(deps, run, { type: 'SandboxAssigned', sandboxName: name });
  return { requeueAfterMs: 0 };
}

async function createRunSandbox(deps: RunReconcileDeps, run: Run, agent: AgentSpec, name: string) {
  const owner = run.metadata.annotations?.[OWNER_ANNOTATION];
  try {
    await deps.store.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: {
        name,
        namespace: run.metadata.namespace ?? 'default',
        labels: { 'paddock.dev/run': run.metadata.name ?? '' },
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

async function sandboxRef(deps: RunReconcileDeps, run: Run): Promise<SandboxRef | undefined> {
  const name = run.status?.sandboxName;
  if (!name) return undefined;
  try {
    const sandbox = await deps.store.get('Sandbox', {
      namespace: run.metadata.namespace ?? 'default',
      name,
    });
    return runtimeRefOf(sandbox);
  } catch (error) {
    if (isPaddockError(error, 'not_found')) return undefined;
    throw error;
  }
}

async function starting(deps: RunReconcileDeps, run: Run): Promise<RunReconcileResult> {
  const ref = await sandboxRef(deps, run);
  if (ref === undefined) {
    await transition(deps, run, {
      type: 'Failed',
      message: `sandbox ${run.status?.sandboxName} is gone`,
    });
    return {};
  }
  const processId = harnessProcessId(run);
  const processes = await deps.runtime.listProcesses(ref);
  if (!processes.some((p) => p.id === processId)) {
    const agent = await agentOfRun(deps.store, run);
    const failed = await cloneRepos(deps.runtime, ref, agent.repos ?? [], (step, message) =>
      note(deps, run, 'RepoCloned', `${step}: ${message}`),
    );
    if (failed) {
      const detail = failed.output ? `: ${failed.output}` : '';
      await transition(deps, run, { type: 'Failed', message: `${failed.step} failed${detail}` });
      return {};
    }
    const plan = planHarness(run, agent, deps.harness, deps.gatewayFor(run, agent));
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
      void handle.stdout.cancel().catch(() => {});
      void handle.stderr.cancel().catch(() => {});
    } catch (error) {
      if (!isPaddockError(error)) throw error;
      await transition(deps, run, {
        type: 'Failed',
        message: `the harness did not start: ${error.message}`,
      });
      return {};
    }
  }
  await transition(deps, run, { type: 'HarnessStarted' });
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

async function running(deps: RunReconcileDeps, run: Run): Promise<RunReconcileResult> {
  const ref = await sandboxRef(deps, run);
  if (ref === undefined) {
    await transition(deps, run, {
      type: 'Failed',
      message: `sandbox ${run.status?.sandboxName} is gone`,
    });
    return {};
  }
  const key = `${run.metadata.namespace}/${run.metadata.name}`;
  const state = deps.pumps.ensure(key, run.metadata.uid ?? '', ref, harnessProcessId(run));
  const outcome = outcomeEvent(state);
  if (outcome) {
    await transition(deps, run, outcome, { usage: state.usage });
    return {};
  }
  const agent = await agentOfRun(deps.store, run).catch(() => undefined);
  const timeoutMs = agent?.budget?.timeout ? parseDurationMs(agent.budget.timeout) : 0;
  const startedAt = Date.parse(run.status?.startedAt ?? '');
  if (timeoutMs > 0 && Number.isFinite(startedAt)) {
    const left = startedAt + timeoutMs - deps.now().getTime();
    if (left <= 0) {
      await transition(deps, run, { type: 'TimedOut' }, { usage: state.usage });
      return {};
    }
    if (!sameUsage(run.status?.usage, state.usage)) {
      await deps.store.updateStatus({
        ...run,
        status: { ...currentStatus(run), usage: state.usage },
      });
    }
    return { requeueAfterMs: left };
  }
  if (!sameUsage(run.status?.usage, state.usage)) {
    await deps.store.updateStatus({
      ...run,
      status: { ...currentStatus(run), usage: state.usage },
    });
  }
  return {};
}

function sameUsage(a: RunStatus['usage'], b: RunStatus['usage']): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * After the outcome: the harness is told to stop (a cancel, a timeout, a budget) and its last
 * output is still pumped into the log. A sandbox the run created stays up for inspection (files,
 * terminal) until its template's idle timeout stops it, and is deleted with the run.
 */
async function settle(deps: RunReconcileDeps, run: Run): Promise<RunReconcileResult> {
  const ref = await sandboxRef(deps, run);
  if (ref === undefined) return {};
  const processId = harnessProcessId(run);
  const info = (await deps.runtime.listProcesses(ref).catch(() => [])).find(
    (p) => p.id === processId,
  );
  const uid = run.metadata.uid ?? '';
  if (info?.running) {
    deps.pumps.ensure(`${run.metadata.namespace}/${run.metadata.name}`, uid, ref, processId);
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
      void handle.stdout.cancel().catch(() => {});
      void handle.stderr.cancel().catch(() => {});
      await handle.signal(signal).catch(() => {});
    }
    return { requeueAfterMs: 1000 };
  }
  deps.stopping.delete(uid);
  const state = deps.pumps.state(uid);
  if (state && state.exit === undefined && state.error === undefined)
    return { requeueAfterMs: 200 };
  deps.pumps.forget(uid);
  return {};
}

/** A deleted run: stop its pump, delete the sandbox it created, drop its log, release the finalizer. */
async function finalize(deps: RunReconcileDeps, run: Run): Promise<RunReconcileResult> {
  const uid = run.metadata.uid ?? '';
  await deps.pumps.stop(uid);
  const namespace = run.metadata.namespace ?? 'default';
  const owned = await deps.store.list('Sandbox', {
    namespace,
    labelSelector: `paddock.dev/run=${run.metadata.name}`,
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
        void handle.stdout.cancel().catch(() => {});
        void handle.stderr.cancel().catch(() => {});
        await handle.signal('SIGKILL').catch(() => {});
      }
    }
  }
  await deps.runLog.remove(uid);
  await deps.store.update({
    ...run,
    metadata: {
      ...run.metadata,
      finalizers: (run.metadata.finalizers ?? []).filter((f) => f !== RUN_FINALIZER),
    },
  });
  return {};
}
