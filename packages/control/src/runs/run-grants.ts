/**
 * What a run's token grants at the LLM gateway, decided from the store: whose run it is, whether
 * it is still going, its limits (its agent's budget capped by the effective policy, and the daily
 * budgets), and marking it when a call was refused over budget (its reconciler then ends it
 * `BudgetExceeded`). The gateway calls these; it holds no rule of its own about runs.
 */
import {
  type BudgetLimit,
  isTerminalRunPhase,
  type ResourceStore,
  type Run,
  type RunGrant,
  runBudgetUsd,
} from '@paddock/core';
import { loadPolicy, OWNER_ANNOTATION } from '../admission.ts';
import { findObject } from '../find-object.ts';
import { agentOfRun } from './run-agent.ts';
import { BUDGET_EXCEEDED_ANNOTATION } from './run-reconciler.ts';

/** A run's limits at the gateway; absent fields are no limit. */
export type RunLimits = {
  runUsd?: number;
  runTokens?: number;
  userDailyUsd?: number;
  namespaceDailyUsd?: number;
};

/** The grant a run's gateway token carries: the run, its owner and its Agent. */
export function grantOf(run: Run): RunGrant {
  return {
    runUid: run.metadata.uid ?? '',
    namespace: run.metadata.namespace ?? 'default',
    runName: run.metadata.name ?? '',
    user: run.metadata.annotations?.[OWNER_ANNOTATION] ?? 'anonymous',
    ...(run.spec.agentRef ? { agent: run.spec.agentRef.name } : {}),
  };
}

export type RunGrantRules = {
  limitsFor(grant: RunGrant): Promise<RunLimits>;
  isActive(grant: RunGrant): Promise<boolean>;
  onBudgetExceeded(grant: RunGrant, limit: BudgetLimit): Promise<void>;
};

export function runGrantRules(store: ResourceStore, log: (line: string) => void): RunGrantRules {
  /** The granted run, only while it is the same object (a re-created name is another run). */
  const runOf = async (grant: RunGrant): Promise<Run | undefined> => {
    const run = await findObject(store, 'Run', { namespace: grant.namespace, name: grant.runName });
    return run?.metadata.uid === grant.runUid ? run : undefined;
  };
  return {
    async limitsFor(grant) {
      const run = await runOf(grant);
      const budget = run
        ? (await agentOfRun(store, run).catch(() => undefined))?.budget
        : undefined;
      const policy = await loadPolicy(store, grant.namespace);
      const runUsd = runBudgetUsd(budget?.maxUsd, policy);
      const daily = policy.budgets;
      return {
        ...(runUsd === undefined ? {} : { runUsd }),
        ...(budget?.maxTokens === undefined ? {} : { runTokens: budget.maxTokens }),
        ...(daily?.maxUsdPerUserPerDay === undefined
          ? {}
          : { userDailyUsd: daily.maxUsdPerUserPerDay }),
        ...(daily?.maxUsdPerNamespacePerDay === undefined
          ? {}
          : { namespaceDailyUsd: daily.maxUsdPerNamespacePerDay }),
      };
    },
    async isActive(grant) {
      const run = await runOf(grant);
      return run !== undefined && !isTerminalRunPhase(run.status?.phase ?? 'Pending');
    },
    async onBudgetExceeded(grant, limit) {
      const run = await runOf(grant);
      if (!run || run.metadata.annotations?.[BUDGET_EXCEEDED_ANNOTATION]) return;
      const annotations = { ...run.metadata.annotations, [BUDGET_EXCEEDED_ANNOTATION]: limit };
      await store
        .update({ ...run, metadata: { ...run.metadata, annotations } })
        .catch((error: unknown) =>
          log(`run ${grant.runName}: budget annotation: ${(error as Error).message}`),
        );
    },
  };
}
