/**
 * Governance of a new run: concurrent runs per user and namespace, the run budget against the
 * policy's cap, and the daily budgets already spent. The server calls it at create (a refused run
 * is never stored: 403 with every violation) and the reconciler again when it picks the run up.
 */
import {
  type AgentSpec,
  evaluate,
  isTerminalRunPhase,
  type ResourceStore,
  type Run,
  RunPhase,
  type Violation,
} from '@paddock/core';
import { loadPolicy, OWNER_ANNOTATION } from '../admission.ts';

/** What the user and the namespace spent on models today (UTC), for the daily budgets. */
export type SpentToday = (who: { user: string; namespace: string }) => Promise<{
  userSpentTodayUsd: number;
  namespaceSpentTodayUsd: number;
}>;

/** Every violation of starting `run` with `agent` now; empty when it may start. */
export async function runViolations(
  store: ResourceStore,
  spentToday: SpentToday,
  run: Run,
  agent: AgentSpec | undefined,
): Promise<Violation[]> {
  const namespace = run.metadata.namespace ?? 'default';
  const owner = run.metadata.annotations?.[OWNER_ANNOTATION] ?? 'anonymous';
  const active = (await store.list('Run', { namespace })).items.filter(
    (r) =>
      r.metadata.uid !== run.metadata.uid &&
      !isTerminalRunPhase(r.status?.phase ?? RunPhase.Pending),
  );
  const ownerOf = (r: Run) => r.metadata.annotations?.[OWNER_ANNOTATION] ?? 'anonymous';
  return evaluate(
    {
      kind: 'run',
      namespace,
      user: owner,
      ...(agent?.budget?.maxUsd === undefined ? {} : { maxUsd: agent.budget.maxUsd }),
    },
    {
      namespaceSandboxes: 0,
      userSandboxes: 0,
      namespaceConcurrentRuns: active.length,
      userConcurrentRuns: active.filter((r) => ownerOf(r) === owner).length,
      ...(await spentToday({ user: owner, namespace })),
    },
    await loadPolicy(store, namespace),
  );
}
