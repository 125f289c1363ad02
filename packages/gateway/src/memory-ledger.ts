import {
  ErrorCode,
  LlmCallRecord,
  PaddockError,
  parseInput,
  type RunGrant,
  type UsageLedger,
  UsageMetric,
  UsageReservation,
  type UsageScope,
  type UsageTotals,
  usageAmount,
  usageBucketRange,
  usageBucketsOf,
} from '@paddock/core';

/** A usage ledger kept in memory (tests, and a gateway without a database); lost on restart. */
export type MemoryLedger = UsageLedger & {
  /** Every call recorded, oldest first. */
  readonly calls: readonly LlmCallRecord[];
  /** The holds of calls in flight, by id. */
  readonly reservations: ReadonlyMap<string, UsageReservation>;
};

/** Whether a call (or a hold) falls in `scope`: the same run, or the same user/namespace/agent since a time. */
export function isInScope(call: RunGrant & { at: string }, scope: UsageScope): boolean {
  if ('runUid' in scope) return call.runUid === scope.runUid;
  if (Date.parse(call.at) < scope.since.getTime()) return false;
  if ('agent' in scope) return call.agent === scope.agent && call.namespace === scope.namespace;
  if ('user' in scope) return call.user === scope.user;
  return call.namespace === scope.namespace;
}

function checkSince(scope: UsageScope): void {
  if ('since' in scope && !Number.isFinite(scope.since.getTime())) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'usage totals: since is not a valid date', {
      issues: [{ path: 'since', message: 'is not a valid date' }],
    });
  }
}

export function createMemoryLedger(): MemoryLedger {
  const calls: LlmCallRecord[] = [];
  const reservations = new Map<string, UsageReservation>();
  // Running totals: scope and key → UTC day → totals (see usage-buckets.ts in @paddock/core).
  const buckets = new Map<string, Map<number, UsageTotals>>();
  const add = (call: LlmCallRecord) => {
    calls.push(call);
    for (const { scope, key, dayMs } of usageBucketsOf(call, Date.parse(call.at))) {
      const bucketKey = `${scope}\0${key}`;
      const days = buckets.get(bucketKey) ?? new Map<number, UsageTotals>();
      buckets.set(bucketKey, days);
      const totals = days.get(dayMs) ?? { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };
      days.set(dayMs, addTo(totals, call));
    }
  };
  const totalsOf = (scope: UsageScope): UsageTotals => {
    checkSince(scope);
    const totals: UsageTotals = { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };
    const range = usageBucketRange(scope);
    if (range !== undefined) {
      const days = buckets.get(`${range.scope}\0${range.key}`) ?? new Map<number, UsageTotals>();
      for (const [dayMs, day] of days) {
        if (range.sinceDayMs !== undefined && dayMs < range.sinceDayMs) continue;
        totals.costUsd += day.costUsd;
        totals.inputTokens += day.inputTokens;
        totals.outputTokens += day.outputTokens;
        totals.calls += day.calls;
      }
      return totals;
    }
    for (const call of calls) if (isInScope(call, scope)) addTo(totals, call);
    return totals;
  };
  return {
    calls,
    reservations,
    async record(call) {
      add(parseInput(LlmCallRecord, call, 'LLM call record'));
    },
    async totals(scope) {
      return totalsOf(scope);
    },
    // Everything below runs without an await in between: atomic within this process.
    async reserve(reservation, caps) {
      const hold = parseInput(UsageReservation, reservation, 'usage reservation');
      const nowMs = Date.parse(hold.at);
      for (const [id, other] of reservations) {
        if (Date.parse(other.expiresAt) <= nowMs) reservations.delete(id);
      }
      for (const [cap, { scope, metric, max }] of caps.entries()) {
        const spent = usageAmount(totalsOf(scope), metric);
        let held = 0;
        for (const other of reservations.values()) {
          if (!isInScope(other, scope)) continue;
          held += metric === UsageMetric.CostUsd ? other.costUsd : other.tokens;
        }
        if (spent + held >= max) return { isAdmitted: false, cap, spent, held };
      }
      reservations.set(hold.id, hold);
      return { isAdmitted: true };
    },
    async settle(reservationId, call) {
      const parsed = parseInput(LlmCallRecord, call, 'LLM call record');
      reservations.delete(reservationId);
      add(parsed);
    },
    async release(reservationId) {
      reservations.delete(reservationId);
    },
    // Nothing here survives the process: there is nothing to wait for.
    async durable() {},
  };
}

function addTo(totals: UsageTotals, call: LlmCallRecord): UsageTotals {
  totals.costUsd += call.costUsd;
  totals.inputTokens += call.inputTokens;
  totals.outputTokens += call.outputTokens;
  totals.calls += 1;
  return totals;
}
