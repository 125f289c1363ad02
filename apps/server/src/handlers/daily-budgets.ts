import { DEFAULT_POLICY_NAME } from '@paddock/control';
import { effectivePolicy, type PolicySpec, type ResourceStore } from '@paddock/core';

/** The daily budgets the effective policies set, read once from the store. */
export type DailyBudgets = {
  /** Each namespace whose effective policy sets `maxUsdPerNamespacePerDay`, sorted, with it. */
  namespaces: Array<{ namespace: string; limitUsd: number }>;
  /** `maxUsdPerUserPerDay` of the effective policy of `namespace` (the cluster's without one). */
  userLimitUsd(namespace?: string): number | undefined;
};

/**
 * Reads the daily budgets: the namespaces considered are those with a Policy and, under a
 * cluster-wide namespace budget, those with Runs (a namespace without either spends nothing).
 */
export async function readDailyBudgets(store: ResourceStore): Promise<DailyBudgets> {
  const [clusterPolicies, policies] = await Promise.all([
    store.list('ClusterPolicy'),
    store.list('Policy'),
  ]);
  const cluster = clusterPolicies.items.find((p) => p.metadata.name === DEFAULT_POLICY_NAME)?.spec;
  const local = new Map<string, PolicySpec | undefined>();
  for (const policy of policies.items) {
    const { name, namespace } = policy.metadata;
    if (namespace === undefined) continue;
    if (name === DEFAULT_POLICY_NAME) local.set(namespace, policy.spec);
    else if (!local.has(namespace)) local.set(namespace, undefined);
  }
  const budgetsOf = (namespace: string | undefined) =>
    effectivePolicy(cluster, namespace === undefined ? undefined : local.get(namespace)).budgets;
  const names = new Set(local.keys());
  // A namespace without a Policy has a budget only from the cluster's: list Runs only then.
  if (budgetsOf(undefined)?.maxUsdPerNamespacePerDay !== undefined) {
    for (const run of (await store.list('Run')).items) {
      if (run.metadata.namespace !== undefined) names.add(run.metadata.namespace);
    }
  }
  const namespaces: DailyBudgets['namespaces'] = [];
  for (const namespace of [...names].sort()) {
    const limitUsd = budgetsOf(namespace)?.maxUsdPerNamespacePerDay;
    if (limitUsd !== undefined) namespaces.push({ namespace, limitUsd });
  }
  return { namespaces, userLimitUsd: (namespace) => budgetsOf(namespace)?.maxUsdPerUserPerDay };
}
