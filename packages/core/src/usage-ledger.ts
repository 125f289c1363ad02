/**
 * The usage ledger: one record per model call the LLM gateway handled, and the totals budgets are
 * checked against (per run, and per user, agent or namespace since a time). The gateway writes
 * it; implementations live in @paddock/gateway (memory) and @paddock/store-sqlite.
 */
import { z } from 'zod';
import { ErrorCode, PaddockError } from './errors.ts';
import type { TranscriptEventInput } from './transcript.ts';

const Count = z.int().nonnegative();

/** Who a call was made for: the payload of a run token. */
export const RunGrant = z.strictObject({
  runUid: z.string().min(1).max(200),
  namespace: z.string().min(1).max(253),
  runName: z.string().min(1).max(253),
  /** The principal id of the run's owner. */
  user: z.string().min(1).max(500),
  /** The Agent the run uses, when it uses one. */
  agent: z.string().min(1).max(253).optional(),
});
export type RunGrant = z.infer<typeof RunGrant>;

/** One model call: the grant's fields, the fields of an `llm.call` transcript event, and when. */
export const LlmCallRecord = z.strictObject({
  ...RunGrant.shape,
  /** When the call started (RFC 3339); daily budgets count calls by this time. */
  at: z.iso.datetime({ offset: true }),
  provider: z.string().min(1),
  model: z.string(),
  /** The HTTP status the caller got (the gateway's own refusals included). */
  status: z.int(),
  isStream: z.boolean(),
  inputTokens: Count,
  outputTokens: Count,
  cacheReadTokens: Count.optional(),
  cacheWriteTokens: Count.optional(),
  costUsd: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
});
export type LlmCallRecord = z.infer<typeof LlmCallRecord>;

// The call fields must stay those of the `llm.call` transcript event (a compile-time check).
type CallFields = Omit<LlmCallRecord, keyof RunGrant | 'at'>;
type LlmCallEventFields = Omit<TranscriptEventInput<'llm.call'>, 'type'>;
const sameFields: [CallFields, LlmCallEventFields] extends [LlmCallEventFields, CallFields]
  ? true
  : never = true;
void sameFields;

/** What to total: one run, or a user's, namespace's or agent's calls since a time (inclusive). */
export type UsageScope =
  | { runUid: string }
  | { user: string; since: Date }
  | { namespace: string; since: Date }
  | { agent: string; namespace: string; since: Date };

/** The fields of a call that a scope compares, named as in {@link LlmCallRecord}. */
export type UsageScopeField = 'runUid' | 'user' | 'namespace' | 'agent';

/** A scope as conditions on a call: each field equal to its value, and the call at or after `sinceMs`. */
export type UsageScopeTerms = { equal: Array<[UsageScopeField, string]>; sinceMs?: number };

/**
 * The conditions of `scope` (a run's calls have no time bound), in a fixed order, for a ledger to
 * turn into its query. Throws `validation_failed` when `since` is not a valid date.
 */
export function usageScopeTerms(scope: UsageScope): UsageScopeTerms {
  if ('runUid' in scope) return { equal: [['runUid', scope.runUid]] };
  const sinceMs = scope.since.getTime();
  if (!Number.isFinite(sinceMs)) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'usage totals: since is not a valid date', {
      issues: [{ path: 'since', message: 'is not a valid date' }],
    });
  }
  if ('agent' in scope) {
    return {
      equal: [
        ['namespace', scope.namespace],
        ['agent', scope.agent],
      ],
      sinceMs,
    };
  }
  if ('user' in scope) return { equal: [['user', scope.user]], sinceMs };
  return { equal: [['namespace', scope.namespace]], sinceMs };
}

/** Sums over a scope; `calls` counts every recorded call, refused and failed ones included. */
export type UsageTotals = {
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  calls: number;
};

export const EMPTY_USAGE_TOTALS: UsageTotals = {
  costUsd: 0,
  inputTokens: 0,
  outputTokens: 0,
  calls: 0,
};

/** What a cap counts: USD, or input + output tokens. */
export const UsageMetric = { CostUsd: 'costUsd', Tokens: 'tokens' } as const;
export type UsageMetric = (typeof UsageMetric)[keyof typeof UsageMetric];

/** One limit of a reservation: in `scope`, what was spent plus what is held must stay below `max`. */
export type UsageCap = { scope: UsageScope; metric: UsageMetric; max: number };

/**
 * A hold on budget while one call is in flight: the call's grant, when it started (daily scopes
 * count it by this time, as they count its record), an estimate of what it will cost, and when the
 * hold lapses if it is never settled (its process died).
 */
export const UsageReservation = z.strictObject({
  ...RunGrant.shape,
  id: z.string().min(1).max(200),
  at: z.iso.datetime({ offset: true }),
  costUsd: z.number().nonnegative(),
  tokens: Count,
  expiresAt: z.iso.datetime({ offset: true }),
});
export type UsageReservation = z.infer<typeof UsageReservation>;

/**
 * The answer to a reservation: admitted (the hold is stored), or refused by `caps[cap]`, with
 * what its scope had spent (recorded calls) and held (other live reservations) at that moment.
 */
export type ReserveOutcome =
  | { isAdmitted: true }
  | { isAdmitted: false; cap: number; spent: number; held: number };

/** The amount of `metric` in totals. */
export function usageAmount(totals: UsageTotals, metric: UsageMetric): number {
  return metric === UsageMetric.CostUsd ? totals.costUsd : totals.inputTokens + totals.outputTokens;
}

/**
 * Where the gateway records calls. `record` throws `validation_failed` for a record that does not
 * match {@link LlmCallRecord}; `totals` of a scope with no calls is all zeros. Token totals
 * count input and output tokens (cache reads and writes are priced into `costUsd` only).
 *
 * Budgets are checked and charged atomically with reservations: `reserve` checks every cap
 * against recorded plus held amounts (holds past `expiresAt`, measured at the new reservation's
 * `at`, no longer count) and stores the hold, all in one transaction, so concurrent callers,
 * in this process or another sharing the ledger, each see the others' calls in flight; `settle`
 * replaces the hold with the call's record in one transaction (with no hold left, it records);
 * `release` drops a hold. `totals` counts recorded calls only. A check costs the same however
 * many calls its scope holds (running totals per scope and UTC day, see `usage-buckets.ts`).
 *
 * `record` and `settle` resolve once the record is committed: every later `reserve` and `totals`,
 * on any handle, counts it, and a crash of the process keeps it. `durable` resolves once every
 * record committed before it was called also survives power loss (SQLite: a sync of its
 * write-ahead log begun after the last record, its own or one another write on the file began;
 * PostgreSQL commits durably, so at once), so a caller can let the next call of a run go at the
 * commit and still wait for durability off that path.
 */
export interface UsageLedger {
  record(call: LlmCallRecord): Promise<void>;
  totals(scope: UsageScope): Promise<UsageTotals>;
  reserve(reservation: UsageReservation, caps: readonly UsageCap[]): Promise<ReserveOutcome>;
  settle(reservationId: string, call: LlmCallRecord): Promise<void>;
  release(reservationId: string): Promise<void>;
  durable(): Promise<void>;
}
