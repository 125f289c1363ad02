import { setTimeout as sleep } from 'node:timers/promises';
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
  usageBucketRange,
  usageBucketsOf,
  usageScopeTerms,
} from '@paddock/core';
import { z } from 'zod';
import { Connection } from './connection.ts';
import { acquireGroupCommit, type GroupCommit } from './group-commit.ts';

/** Options of `openSqliteUsageLedger`, validated once (`validation_failed` listing every problem). */
export const SqliteUsageLedgerOptions = z.strictObject({
  /** The database file, usually the store's own (`paddock.db`); created and migrated if needed. */
  path: z.string().min(1),
  /** How long a write waits for another writer's lock before failing with `timeout`. */
  busyTimeoutMs: z.int().min(0).default(5_000),
});
export type SqliteUsageLedgerOptions = z.input<typeof SqliteUsageLedgerOptions>;

/**
 * How long `durable` waits before it begins a WAL sync of its own: the records committed
 * meanwhile (calls of other runs, the next call of a run) share it, and a sync begun by another
 * write serves instead. Never on a model call's path: the call's answer has gone by then.
 */
const DURABLE_GROUP_DELAY_MS = 5;

const AmountsRow = z.object({ spent: z.number(), held: z.number() });

const TotalsRow = z.object({
  cost_usd: z.number().nullable(),
  input_tokens: z.number().nullable(),
  output_tokens: z.number().nullable(),
  calls: z.number().nullable(),
});

/**
 * The gateway's usage ledger in SQLite (see `UsageLedger` in @paddock/core), in the `llm_calls`
 * table of the store's file, so budgets survive a restart; the whole record is kept as `json`
 * for the run's trace. Each record also adds to its scopes' running totals of the day
 * (`llm_usage_totals`) in the same transaction, so `reserve` and `totals` read a few rows, not
 * every call of a scope. Holds of calls in flight are rows of `llm_reservations`: `reserve`
 * checks and inserts under the file's write lock (BEGIN IMMEDIATE), so every connection to the
 * file, in any process, sees one order; `settle` swaps the hold for the record in one
 * transaction. Nothing here waits for a sync: commits are visible to every connection at once
 * and survive a process crash; `durable` waits for a WAL sync begun after the last record (the
 * group commit the store shares, see `Connection`; another writer's sync serves) that makes them
 * survive power loss too.
 */
export class SqliteUsageLedger implements UsageLedger {
  readonly path: string;
  readonly #connection: Connection;
  readonly #group: GroupCommit;
  readonly #releaseGroup: () => void;
  /** How many WAL syncs had begun when this ledger last committed a record. */
  #mark = 0;

  constructor(options: SqliteUsageLedgerOptions) {
    const resolved = parseInput(SqliteUsageLedgerOptions, options, 'SQLite usage ledger options');
    this.path = resolved.path;
    this.#connection = new Connection(resolved.path, resolved.busyTimeoutMs);
    const { group, release } = acquireGroupCommit(resolved.path);
    this.#group = group;
    this.#releaseGroup = release;
  }

  async record(call: LlmCallRecord): Promise<void> {
    const input = parseInput(LlmCallRecord, call, 'LLM call record');
    this.#connection.writeWithoutSync({ operation: 'record LLM call', object: input.runUid }, () =>
      this.#insert(input),
    );
    this.#mark = this.#group.syncs;
  }

  /** Inserts the call and adds it to its scopes' totals of its day (inside a transaction). */
  #insert(input: LlmCallRecord): void {
    const atMs = Date.parse(input.at);
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
        atMs,
        input.costUsd,
        input.inputTokens,
        input.outputTokens,
        JSON.stringify(input),
      );
    const add = this.#connection.statement(
      `INSERT INTO llm_usage_totals (scope, key, day_ms, cost_usd, input_tokens, output_tokens,
         calls)
       VALUES (?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (scope, key, day_ms) DO UPDATE SET cost_usd = cost_usd + excluded.cost_usd,
         input_tokens = input_tokens + excluded.input_tokens,
         output_tokens = output_tokens + excluded.output_tokens, calls = calls + 1`,
    );
    for (const { scope, key, dayMs } of usageBucketsOf(input, atMs)) {
      add.run(scope, key, dayMs, input.costUsd, input.inputTokens, input.outputTokens);
    }
  }

  async reserve(reservation: UsageReservation, caps: readonly UsageCap[]): Promise<ReserveOutcome> {
    const hold = parseInput(UsageReservation, reservation, 'usage reservation');
    const checks = caps.map((cap) => ({ ...cap, spent: spentSql(cap), held: heldSql(cap) }));
    const atMs = Date.parse(hold.at);
    return this.#connection.writeWithoutSync(
      { operation: 'reserve LLM budget', object: hold.runUid },
      () => {
        this.#connection.statement('DELETE FROM llm_reservations WHERE expires_ms <= ?').run(atMs);
        for (const [cap, { max, spent, held }] of checks.entries()) {
          const row = this.#connection
            .statement(`SELECT (${spent.sql}) AS spent, (${held.sql}) AS held`)
            .get(...spent.params, ...held.params);
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
    this.#connection.writeWithoutSync(
      { operation: 'settle LLM call', object: input.runUid },
      () => {
        this.#connection.statement('DELETE FROM llm_reservations WHERE id = ?').run(reservationId);
        this.#insert(input);
      },
    );
    this.#mark = this.#group.syncs;
  }

  async release(reservationId: string): Promise<void> {
    this.#connection.run({ operation: 'release LLM budget' }, () =>
      this.#connection.statement('DELETE FROM llm_reservations WHERE id = ?').run(reservationId),
    );
  }

  async totals(scope: UsageScope): Promise<UsageTotals> {
    const range = usageBucketRange(scope);
    const sums = `SUM(cost_usd) AS cost_usd, SUM(input_tokens) AS input_tokens,
                  SUM(output_tokens) AS output_tokens`;
    let sql: string;
    let params: Array<string | number>;
    if (range === undefined) {
      const clause = scopeClause(scope);
      // Only fixed fragments are concatenated; every value is a bound parameter.
      sql = `SELECT ${sums}, COUNT(*) AS calls FROM llm_calls WHERE ${clause.where}`;
      params = clause.params;
    } else {
      const clause = bucketClause(range);
      sql = `SELECT ${sums}, SUM(calls) AS calls FROM llm_usage_totals WHERE ${clause.where}`;
      params = clause.params;
    }
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
      calls: parsed.data.calls ?? 0,
    };
  }

  async durable(): Promise<void> {
    const mark = this.#mark;
    try {
      // Any sync begun since the last record serves: one a store or a log on the file began for
      // its own write (the run's transcript event of the call, say) saves one of ours. Failing
      // that, a moment's wait lets the records of calls ending close together share one.
      if (this.#group.syncs <= mark) await sleep(DURABLE_GROUP_DELAY_MS);
      await this.#group.durableAfter(mark);
    } catch (error) {
      throw new PaddockError(
        ErrorCode.Internal,
        `LLM calls are committed, but syncing the write-ahead log failed: ${String(error)}`,
      );
    }
  }

  async close(): Promise<void> {
    if (!this.#connection.isOpen) return;
    await this.#connection.close();
    this.#releaseGroup();
  }
}

/** The column of each field a usage scope compares. */
const COLUMN = {
  runUid: 'run_uid',
  user: 'user_id',
  namespace: 'namespace',
  agent: 'agent',
} as const satisfies Record<UsageScopeField, string>;

type Clause = { where: string; params: Array<string | number> };

/** The conditions of `scope` on `llm_calls` and `llm_reservations` (the same columns). */
function scopeClause(scope: UsageScope): Clause {
  const { equal, sinceMs } = usageScopeTerms(scope);
  const clauses = equal.map(([field]) => `${COLUMN[field]} = ?`);
  const params: Array<string | number> = equal.map(([, value]) => value);
  if (sinceMs !== undefined) {
    clauses.push('time_ms >= ?');
    params.push(sinceMs);
  }
  return { where: clauses.join(' AND '), params };
}

/** The conditions picking the buckets of a range on `llm_usage_totals`. */
function bucketClause(range: NonNullable<ReturnType<typeof usageBucketRange>>): Clause {
  if (range.sinceDayMs === undefined) {
    return { where: 'scope = ? AND key = ?', params: [range.scope, range.key] };
  }
  return {
    where: 'scope = ? AND key = ? AND day_ms >= ?',
    params: [range.scope, range.key, range.sinceDayMs],
  };
}

type Query = { sql: string; params: Array<string | number> };

/** What `cap`'s scope has spent of its metric: from the running totals when they cover it. */
function spentSql(cap: UsageCap): Query {
  const amount = cap.metric === UsageMetric.CostUsd ? 'cost_usd' : 'input_tokens + output_tokens';
  const range = usageBucketRange(cap.scope);
  // Only fixed fragments are concatenated; every value is a bound parameter.
  const { where, params } = range === undefined ? scopeClause(cap.scope) : bucketClause(range);
  const table = range === undefined ? 'llm_calls' : 'llm_usage_totals';
  return { sql: `SELECT coalesce(sum(${amount}), 0) FROM ${table} WHERE ${where}`, params };
}

/** What calls in flight of `cap`'s scope hold of its metric. */
function heldSql(cap: UsageCap): Query {
  const amount = cap.metric === UsageMetric.CostUsd ? 'cost_usd' : 'tokens';
  const { where, params } = scopeClause(cap.scope);
  return { sql: `SELECT coalesce(sum(${amount}), 0) FROM llm_reservations WHERE ${where}`, params };
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
