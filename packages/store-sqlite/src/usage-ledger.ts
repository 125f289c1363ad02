import {
  ErrorCode,
  LlmCallRecord,
  PaddockError,
  parseInput,
  type ReserveOutcome,
  type UsageCap,
  type UsageLedger,
  UsageMetric,
  UsageReservation,
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

const AmountsRow = z.object({ spent: z.number(), held: z.number() });

const TotalsRow = z.object({
  cost_usd: z.number().nullable(),
  input_tokens: z.number().nullable(),
  output_tokens: z.number().nullable(),
  calls: z.number(),
});

/**
 * The gateway's usage ledger in SQLite (see `UsageLedger` in @paddock/core), in the `llm_calls`
 * table of the store's file, so budgets survive a restart. `totals` sums indexed columns; the
 * whole record is kept as `json` for the run's trace. Holds of calls in flight are rows of
 * `llm_reservations`: `reserve` checks and inserts under the file's write lock (BEGIN IMMEDIATE),
 * so every connection to the file, in any process, sees one order; `settle` swaps the hold for
 * the record in one transaction. Holds are committed without waiting for a sync (a hold lost to
 * a power cut would only have lapsed); records are durable when `record` or `settle` resolves
 * (the connection's group commit, see `Connection`).
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
    await this.#connection.write({ operation: 'record LLM call', object: input.runUid }, () =>
      this.#insert(input),
    );
  }

  #insert(input: LlmCallRecord): void {
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
      );
  }

  async reserve(reservation: UsageReservation, caps: readonly UsageCap[]): Promise<ReserveOutcome> {
    const hold = parseInput(UsageReservation, reservation, 'usage reservation');
    const checks = caps.map((cap) => ({ ...cap, ...scopeClause(cap.scope) }));
    const atMs = Date.parse(hold.at);
    return this.#connection.writeWithoutSync(
      { operation: 'reserve LLM budget', object: hold.runUid },
      () => {
        this.#connection.statement('DELETE FROM llm_reservations WHERE expires_ms <= ?').run(atMs);
        for (const [cap, { metric, max, where, params }] of checks.entries()) {
          const isUsd = metric === UsageMetric.CostUsd;
          const spent = isUsd ? 'cost_usd' : 'input_tokens + output_tokens';
          const held = isUsd ? 'cost_usd' : 'tokens';
          // Only fixed fragments are concatenated; every value is a bound parameter.
          const row = this.#connection
            .statement(
              `SELECT (SELECT coalesce(sum(${spent}), 0) FROM llm_calls WHERE ${where}) AS spent,
                      (SELECT coalesce(sum(${held}), 0) FROM llm_reservations WHERE ${where}) AS held`,
            )
            .get(...params, ...params);
          const amounts = AmountsRow.safeParse(row);
          if (!amounts.success) {
            throw new PaddockError(
              ErrorCode.Internal,
              'an unreadable total of the llm_calls table',
            );
          }
          if (amounts.data.spent + amounts.data.held >= max) {
            return { isAdmitted: false, cap, ...amounts.data };
          }
        }
        this.#connection
          .statement(
            `INSERT OR REPLACE INTO llm_reservations (id, run_uid, namespace, user_id, agent,
               time_ms, cost_usd, tokens, expires_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            hold.id,
            hold.runUid,
            hold.namespace,
            hold.user,
            hold.agent ?? null,
            atMs,
            hold.costUsd,
            hold.tokens,
            Date.parse(hold.expiresAt),
          );
        return { isAdmitted: true };
      },
    );
  }

  async settle(reservationId: string, call: LlmCallRecord): Promise<void> {
    const input = parseInput(LlmCallRecord, call, 'LLM call record');
    await this.#connection.write({ operation: 'settle LLM call', object: input.runUid }, () => {
      this.#connection.statement('DELETE FROM llm_reservations WHERE id = ?').run(reservationId);
      this.#insert(input);
    });
  }

  async release(reservationId: string): Promise<void> {
    this.#connection.run({ operation: 'release LLM budget' }, () =>
      this.#connection.statement('DELETE FROM llm_reservations WHERE id = ?').run(reservationId),
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
