import {
  ErrorCode,
  LlmCallRecord,
  PaddockError,
  parseInput,
  type UsageLedger,
  type UsageScope,
  type UsageScopeField,
  type UsageTotals,
  usageScopeTerms,
} from '@paddock/core';
import { z } from 'zod';
import { databaseOf, hasOneSource, SOURCE_SHAPE } from './database.ts';
import { LogHandle } from './log-handle.ts';

/** Options of `openPostgresUsageLedger`, validated once (`validation_failed` listing every problem). */
export const PostgresUsageLedgerOptions = z.strictObject(SOURCE_SHAPE).refine(...hasOneSource);
export type PostgresUsageLedgerOptions = z.input<typeof PostgresUsageLedgerOptions>;

const TotalsRow = z.object({
  cost_usd: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  calls: z.number(),
});

/**
 * The gateway's usage ledger in PostgreSQL (see `UsageLedger` in @paddock/core), shared by every
 * replica, so a budget counts the calls of all of them. A `record` is one INSERT (atomic and
 * durable when it resolves); `totals` sums in one statement, so it sees each call whole or not
 * at all. `cost_usd` is an exact decimal: totals do not drift with the order of the calls.
 */
export class PostgresUsageLedger implements UsageLedger {
  readonly #handle: LogHandle;

  constructor(handle: LogHandle) {
    this.#handle = handle;
  }

  async record(call: LlmCallRecord): Promise<void> {
    const input = parseInput(LlmCallRecord, call, 'LLM call record');
    this.#handle.assertOpen('record LLM call');
    await this.#handle.database.query(
      { operation: 'record LLM call', object: input.runUid },
      `INSERT INTO llm_calls (run_uid, namespace, user_id, agent, time_ms, cost_usd,
         input_tokens, output_tokens, json)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        input.runUid,
        input.namespace,
        input.user,
        input.agent ?? null,
        Date.parse(input.at),
        // Decimal text: the number as JavaScript prints it, stored exactly.
        String(input.costUsd),
        input.inputTokens,
        input.outputTokens,
        JSON.stringify(input),
      ],
    );
  }

  async totals(scope: UsageScope): Promise<UsageTotals> {
    const { where, params } = scopeClause(scope);
    this.#handle.assertOpen('total LLM calls');
    // Only fixed fragments are concatenated; every value is a bound parameter.
    const [row] = await this.#handle.database.query(
      { operation: 'total LLM calls' },
      `SELECT coalesce(sum(cost_usd), 0) AS cost_usd,
              coalesce(sum(input_tokens), 0) AS input_tokens,
              coalesce(sum(output_tokens), 0) AS output_tokens,
              count(*) AS calls
       FROM llm_calls WHERE ${where}`,
      params,
    );
    const parsed = TotalsRow.safeParse(row);
    if (!parsed.success) {
      throw new PaddockError(ErrorCode.Internal, 'an unreadable total of the llm_calls table');
    }
    return {
      costUsd: parsed.data.cost_usd,
      inputTokens: parsed.data.input_tokens,
      outputTokens: parsed.data.output_tokens,
      calls: parsed.data.calls,
    };
  }

  /** Closes the database when the ledger opened it. */
  async close(): Promise<void> {
    await this.#handle.close();
  }
}

/** The column of each field a usage scope compares. */
const COLUMN = {
  runUid: 'run_uid',
  user: 'user_id',
  namespace: 'namespace',
  agent: 'agent',
} as const satisfies Record<UsageScopeField, string>;

function scopeClause(scope: UsageScope): { where: string; params: Array<string | number> } {
  const { equal, sinceMs } = usageScopeTerms(scope);
  const clauses = equal.map(([field], i) => `${COLUMN[field]} = $${i + 1}`);
  const params: Array<string | number> = equal.map(([, value]) => value);
  if (sinceMs !== undefined) {
    params.push(sinceMs);
    clauses.push(`time_ms >= $${params.length}`);
  }
  return { where: clauses.join(' AND '), params };
}

/**
 * Opens the usage ledger in PostgreSQL: on its own database from `url` (created and migrated
 * when needed, closed with the ledger) or on a shared `database`. Throws `validation_failed` for
 * bad options, `runtime_unavailable` when the server cannot be reached, `internal` for a refused
 * login, a missing database or a newer schema.
 */
export async function openPostgresUsageLedger(
  options: PostgresUsageLedgerOptions,
): Promise<PostgresUsageLedger> {
  const resolved = parseInput(
    PostgresUsageLedgerOptions,
    options,
    'PostgreSQL usage ledger options',
  );
  const { database, isOwned } = await databaseOf(resolved);
  return new PostgresUsageLedger(new LogHandle(database, isOwned));
}
