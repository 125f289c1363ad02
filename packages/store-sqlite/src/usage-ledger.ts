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
import { Connection } from './connection.ts';

/** Options of `openSqliteUsageLedger`, validated once (`validation_failed` listing every problem). */
export const SqliteUsageLedgerOptions = z.strictObject({
  /** The database file, usually the store's own (`paddock.db`); created and migrated if needed. */
  path: z.string().min(1),
  /** How long a write waits for another writer's lock before failing with `timeout`. */
  busyTimeoutMs: z.int().min(0).default(5_000),
});
export type SqliteUsageLedgerOptions = z.input<typeof SqliteUsageLedgerOptions>;

const TotalsRow = z.object({
  cost_usd: z.number().nullable(),
  input_tokens: z.number().nullable(),
  output_tokens: z.number().nullable(),
  calls: z.number(),
});

/**
 * The gateway's usage ledger in SQLite (see `UsageLedger` in @paddock/core), in the `llm_calls`
 * table of the store's file, so budgets survive a restart. `totals` sums indexed columns; the
 * whole record is kept as `json` for the run's trace.
 */
export class SqliteUsageLedger implements UsageLedger {
  readonly path: string;
  readonly #connection: Connection;

  constructor(options: SqliteUsageLedgerOptions) {
    const resolved = parseInput(SqliteUsageLedgerOptions, options, 'SQLite usage ledger options');
    this.path = resolved.path;
    this.#connection = new Connection(resolved.path, resolved.busyTimeoutMs);
  }

  async record(call: LlmCallRecord): Promise<void> {
    const input = parseInput(LlmCallRecord, call, 'LLM call record');
    this.#connection.run({ operation: 'record LLM call', object: input.runUid }, () =>
      this.#connection
        .statement(
          `INSERT INTO llm_calls (run_uid, namespace, user_id, agent, time_ms, cost_usd,
             input_tokens, output_tokens, json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.runUid,
          input.namespace,
          input.user,
          input.agent ?? null,
          Date.parse(input.at),
          input.costUsd,
          input.inputTokens,
          input.outputTokens,
          JSON.stringify(input),
        ),
    );
  }

  async totals(scope: UsageScope): Promise<UsageTotals> {
    const { where, params } = scopeClause(scope);
    // Only fixed fragments are concatenated; every value is a bound parameter.
    const sql = `SELECT SUM(cost_usd) AS cost_usd, SUM(input_tokens) AS input_tokens,
                   SUM(output_tokens) AS output_tokens, COUNT(*) AS calls
                 FROM llm_calls WHERE ${where}`;
    const row = this.#connection.run({ operation: 'total LLM calls' }, () =>
      this.#connection.statement(sql).get(...params),
    );
    const parsed = TotalsRow.safeParse(row);
    if (!parsed.success) {
      throw new PaddockError(ErrorCode.Internal, 'an unreadable total of the llm_calls table');
    }
    return {
      costUsd: parsed.data.cost_usd ?? 0,
      inputTokens: parsed.data.input_tokens ?? 0,
      outputTokens: parsed.data.output_tokens ?? 0,
      calls: parsed.data.calls,
    };
  }

  async close(): Promise<void> {
    this.#connection.close();
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
  const clauses = equal.map(([field]) => `${COLUMN[field]} = ?`);
  const params: Array<string | number> = equal.map(([, value]) => value);
  if (sinceMs !== undefined) {
    clauses.push('time_ms >= ?');
    params.push(sinceMs);
  }
  return { where: clauses.join(' AND '), params };
}

/**
 * Opens the usage ledger in the SQLite file at `options.path` (creating and migrating it when
 * needed; usually the same file as `openSqliteStore`). Throws `validation_failed` for bad
 * options, `internal` for an unusable file, `timeout` when another writer holds it too long.
 */
export async function openSqliteUsageLedger(
  options: SqliteUsageLedgerOptions,
): Promise<SqliteUsageLedger> {
  return new SqliteUsageLedger(options);
}
