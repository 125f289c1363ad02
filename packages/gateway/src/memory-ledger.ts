import {
  ErrorCode,
  LlmCallRecord,
  PaddockError,
  parseInput,
  type UsageLedger,
  type UsageScope,
  type UsageTotals,
} from '@paddock/core';

/** A usage ledger kept in memory (tests, and a gateway without a database); lost on restart. */
export type MemoryLedger = UsageLedger & {
  /** Every call recorded, oldest first. */
  readonly calls: readonly LlmCallRecord[];
};

/** Whether `call` falls in `scope`: the same run, or the same user/namespace/agent since a time. */
export function isInScope(call: LlmCallRecord, scope: UsageScope): boolean {
  if ('runUid' in scope) return call.runUid === scope.runUid;
  if (Date.parse(call.at) < scope.since.getTime()) return false;
  if ('agent' in scope) return call.agent === scope.agent && call.namespace === scope.namespace;
  if ('user' in scope) return call.user === scope.user;
  return call.namespace === scope.namespace;
}

export function createMemoryLedger(): MemoryLedger {
  const calls: LlmCallRecord[] = [];
  return {
    calls,
    async record(call) {
      calls.push(parseInput(LlmCallRecord, call, 'LLM call record'));
    },
    async totals(scope) {
      if ('since' in scope && !Number.isFinite(scope.since.getTime())) {
        throw new PaddockError(
          ErrorCode.ValidationFailed,
          'usage totals: since is not a valid date',
          {
            issues: [{ path: 'since', message: 'is not a valid date' }],
          },
        );
      }
      const totals: UsageTotals = { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };
      for (const call of calls) {
        if (!isInScope(call, scope)) continue;
        totals.costUsd += call.costUsd;
        totals.inputTokens += call.inputTokens;
        totals.outputTokens += call.outputTokens;
        totals.calls += 1;
      }
      return totals;
    },
  };
}
