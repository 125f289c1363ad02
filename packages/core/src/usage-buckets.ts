/**
 * Running totals of the usage ledger: each recorded call adds its amounts to one bucket per scope
 * it belongs to (its run, its user, its namespace, its agent) and UTC day, in the same
 * transaction as its record. A budget check then reads a few buckets instead of summing every
 * call of its scope (a namespace's day grows with use): the check costs the same on the first
 * call and the millionth. Scopes that do not start at a UTC midnight are summed from the calls.
 */
import type { RunGrant, UsageScope } from './usage-ledger.ts';
import { usageScopeTerms } from './usage-ledger.ts';

/** What a bucket totals. The values sort in the order writers touch buckets (see below). */
export const UsageBucketScope = {
  Agent: 'agent',
  Namespace: 'namespace',
  Run: 'run',
  User: 'user',
} as const;
export type UsageBucketScope = (typeof UsageBucketScope)[keyof typeof UsageBucketScope];

/** Milliseconds in a UTC day (JavaScript time has no leap seconds). */
export const DAY_MS = 86_400_000;

/** Midnight UTC of the day of `ms` (epoch milliseconds), before 1970 too. */
export function utcDayMs(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

/** One bucket: a scope, its key (a run uid, a user, a namespace, `namespace/agent`) and a day. */
export type UsageBucket = { scope: UsageBucketScope; key: string; dayMs: number };

/** The key of an agent's bucket: namespaces never contain `/`, so it is unambiguous. */
function agentKey(namespace: string, agent: string): string {
  return `${namespace}/${agent}`;
}

/**
 * The buckets a call of `grant` made at `atMs` adds to: its agent's (when it has one), its
 * namespace's, its run's and its user's of that UTC day, always in this order, so writers that
 * lock bucket rows as they update them (PostgreSQL) lock them in one order and never deadlock.
 */
export function usageBucketsOf(
  grant: Pick<RunGrant, 'runUid' | 'namespace' | 'user' | 'agent'>,
  atMs: number,
): UsageBucket[] {
  const dayMs = utcDayMs(atMs);
  const buckets: UsageBucket[] = [];
  if (grant.agent !== undefined) {
    buckets.push({
      scope: UsageBucketScope.Agent,
      key: agentKey(grant.namespace, grant.agent),
      dayMs,
    });
  }
  buckets.push(
    { scope: UsageBucketScope.Namespace, key: grant.namespace, dayMs },
    { scope: UsageBucketScope.Run, key: grant.runUid, dayMs },
    { scope: UsageBucketScope.User, key: grant.user, dayMs },
  );
  return buckets;
}

/**
 * The buckets whose sum is `scope`'s total: those of one scope and key, from `sinceDayMs` on (a
 * run's from its first day). `undefined` when `since` is not a UTC midnight: the ledger sums the
 * scope's calls instead. Throws `validation_failed` when `since` is not a valid date.
 */
export function usageBucketRange(
  scope: UsageScope,
): { scope: UsageBucketScope; key: string; sinceDayMs?: number } | undefined {
  const { sinceMs } = usageScopeTerms(scope);
  if ('runUid' in scope) return { scope: UsageBucketScope.Run, key: scope.runUid };
  if (sinceMs === undefined || utcDayMs(sinceMs) !== sinceMs) return undefined;
  if ('agent' in scope) {
    return {
      scope: UsageBucketScope.Agent,
      key: agentKey(scope.namespace, scope.agent),
      sinceDayMs: sinceMs,
    };
  }
  if ('user' in scope)
    return { scope: UsageBucketScope.User, key: scope.user, sinceDayMs: sinceMs };
  return { scope: UsageBucketScope.Namespace, key: scope.namespace, sinceDayMs: sinceMs };
}
