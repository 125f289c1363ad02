import type { PolicySpec } from './policy.ts';

/**
 * How a namespace override combines with the cluster default, per PolicySpec field.
 * - `override`: the namespace's value wins when set; lists are replaced whole, never concatenated.
 * - `merge-fields`: an object merged per nested field, the namespace's nested value winning.
 * `satisfies` makes a PolicySpec field without a rule a compile error.
 */
export const POLICY_MERGE_RULES = {
  sandboxes: 'merge-fields',
  resources: 'merge-fields',
  maxTimeout: 'override',
  maxIdleTimeout: 'override',
  allowedTemplates: 'override',
  approvedImageRegistries: 'override',
  allowedEgressDomains: 'override',
  allowedHostPaths: 'override',
  budgets: 'merge-fields',
  runs: 'merge-fields',
} as const satisfies Record<keyof PolicySpec, 'override' | 'merge-fields'>;

type PolicyKey = keyof typeof POLICY_MERGE_RULES;

/**
 * The policy in force in a namespace: the cluster default merged field by field with the
 * namespace override (either may be missing). A namespace can tighten or relax any limit it sets,
 * but cannot unset one: an absent field inherits. To lift a cluster cap it sets a permissive value
 * (`maxTimeout: '0'`, `allowedTemplates: ['*']`). The result shares no objects with the inputs.
 */
export function effectivePolicy(
  clusterDefault: PolicySpec | undefined,
  namespaceOverride: PolicySpec | undefined,
): PolicySpec {
  const merged: Record<string, unknown> = {};
  for (const key of Object.keys(POLICY_MERGE_RULES) as PolicyKey[]) {
    const base = clusterDefault?.[key];
    const over = namespaceOverride?.[key];
    const value =
      POLICY_MERGE_RULES[key] === 'merge-fields' ? mergeFields(base, over) : (over ?? base);
    if (value !== undefined) merged[key] = copy(value);
  }
  // Every key of `merged` is a PolicySpec key holding that key's own (merged) type.
  return merged as PolicySpec;
}

function mergeFields(base: unknown, over: unknown): unknown {
  if (!isRecord(base) || !isRecord(over)) return over ?? base;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) if (value !== undefined) merged[key] = value;
  return merged;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) return [...value];
  if (isRecord(value)) return { ...value };
  return value;
}
