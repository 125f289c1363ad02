import {
  ErrorCode,
  LlmCallRecord,
  PaddockError,
  parseInput,
  type ReserveOutcome,
  type RunGrant,
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
import { databaseOf, hasOneSource, SOURCE_SHAPE } from './database.ts';
import { LogHandle } from './log-handle.ts';

/** Options of `openPostgresUsageLedger`, validated once (`validation_failed` listing every problem). */
export const PostgresUsageLedgerOptions = z.strictObject(SOURCE_SHAPE).refine(...hasOneSource);
export type PostgresUsageLedgerOptions = z.input<typeof PostgresUsageLedgerOptions>;

const AmountsRow = z.object({ spent: z.number(), held: z.number() });

const TotalsRow = z.object({
  cost_usd: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  calls: z.number(),
});

/**
 * The gateway's usage ledger in PostgreSQL (see `UsageLedger` in @paddock/core), shared by every
 * replica, so a budget counts the calls of all of them. A `record` is one statement (atomic and
 * durable when it resolves) that inserts the call and adds it to its scopes' running totals of
 * the day (`llm_usage_totals`, rows updated in one order, so concurrent records never deadlock);
 * `totals` and the checks of `reserve` read those totals, so they cost the same however many
 * calls a scope holds. `cost_usd` is an exact decimal: totals do not drift with the order of the
 * calls. `reserve` runs in one transaction holding an advisory lock per scope the hold belongs to
 * (its run, user, namespace, agent; taken in one order, so two never deadlock): reservations
 * that share a scope, on any replica, check and insert one after another; `settle` swaps the hold
 * for the record in one statement.
 */
export class PostgresUsageLedger implements UsageLedger {
  readonly #handle: LogHandle;

  constructor(handle: LogHandle) {
    this.#handle = handle;
  }

  async record(call: LlmCallRecord): Promise<void> {
    const input = parseInput(LlmCallRecord, call, 'LLM call record');
    this.#handle.assertOpen('record LLM call');
    const { sql, params } = recordStatement(input);
    await this.#handle.database.query(
      { operation: 'record LLM call', object: input.runUid },
      sql,
      params,
    );
  }

  async reserve(reservation: UsageReservation, caps: readonly UsageCap[]): Promise<ReserveOutcome> {
    const hold = parseInput(UsageReservation, reservation, 'usage reservation');
    const checks = caps.map((cap) => ({ ...cap, query: amountsQuery(cap) }));
    const atMs = Date.parse(hold.at);
    this.#handle.assertOpen('reserve LLM budget');
    const context = { operation: 'reserve LLM budget', object: hold.runUid };
    return this.#handle.database.transaction(context, async (tx) => {
      for (const key of lockKeys(hold, caps)) {
        await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
      }
      await tx.query('DELETE FROM llm_reservations WHERE expires_ms <= $1', [atMs]);
      for (const [cap, { max, query }] of checks.entries()) {
        const [row] = await tx.query(query.sql, query.params);
        const amounts = AmountsRow.safeParse(row);
        if (!amounts.success) {
          throw new PaddockError(ErrorCode.Internal, 'an unreadable total of the llm_calls table');
        }
        if (amounts.data.spent + amounts.data.held >= max) {
          return { isAdmitted: false, cap, ...amounts.data };
        }
      }
      await tx.query(
        `INSERT INTO llm_reservations (id, run_uid, namespace, user_id, agent, time_ms, cost_usd,
           tokens, expires_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET cost_usd = EXCLUDED.cost_usd, tokens = EXCLUDED.tokens,
           expires_ms = EXCLUDED.expires_ms`,
        [
          hold.id,
          hold.runUid,
          hold.namespace,
          hold.user,
          hold.agent ?? null,
          atMs,
          String(hold.costUsd),
          hold.tokens,
          Date.parse(hold.expiresAt),
        ],
      );
      return { isAdmitted: true };
    });
  }

  async settle(reservationId: string, call: LlmCallRecord): Promise<void> {
    const input = parseInput(LlmCallRecord, call, 'LLM call record');
    this.#handle.assertOpen('settle LLM call');
    const { sql, params } = recordStatement(input, reservationId);
    await this.#handle.database.query(
      { operation: 'settle LLM call', object: input.runUid },
      sql,
      params,
    );
  }

  async release(reservationId: string): Promise<void> {
    this.#handle.assertOpen('release LLM budget');
    await this.#handle.database.query(
      { operation: 'release LLM budget' },
      'DELETE FROM llm_reservations WHERE id = $1',
      [reservationId],
    );
  }

  async totals(scope: UsageScope): Promise<UsageTotals> {
    const range = usageBucketRange(scope);
    const sums = `coalesce(sum(cost_usd), 0) AS cost_usd,
                  coalesce(sum(input_tokens), 0) AS input_tokens,
                  coalesce(sum(output_tokens), 0) AS output_tokens`;
    const { where, params } = range === undefined ? scopeClause(scope) : bucketClause(range);
    this.#handle.assertOpen('total LLM calls');
    // Only fixed fragments are concatenated; every value is a bound parameter.
    const sql =
      range === undefined
        ? `SELECT ${sums}, count(*) AS calls FROM llm_calls WHERE ${where}`
        : `SELECT ${sums}, coalesce(sum(calls), 0) AS calls FROM llm_usage_totals WHERE ${where}`;
    const [row] = await this.#handle.database.query({ operation: 'total LLM calls' }, sql, params);
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

  /** A commit is durable in PostgreSQL: every record resolved is already. */
  async durable(): Promise<void> {}

  /** Closes the database when the ledger opened it. */
  async close(): Promise<void> {
    await this.#handle.close();
  }
}

/**
 * One statement that inserts the call, adds it to its scopes' totals of its day (in the order of
 * `usageBucketsOf`, so concurrent records lock those rows in one order) and, when settling,
 * deletes the call's hold: atomic without a transaction's round trips.
 */
function recordStatement(input: LlmCallRecord, reservationId?: string): Query {
  const atMs = Date.parse(input.at);
  const params: unknown[] = [
    input.runUid,
    input.namespace,
    input.user,
    input.agent ?? null,
    atMs,
    // Decimal text: the number as JavaScript prints it, stored exactly.
    String(input.costUsd),
    input.inputTokens,
    input.outputTokens,
    JSON.stringify(input),
  ];
  const rows = usageBucketsOf(input, atMs).map(({ scope, key, dayMs }) => {
    params.push(scope, key, dayMs);
    const n = params.length;
    return `($${n - 2}, $${n - 1}, $${n}::bigint, $6::numeric, $7::bigint, $8::bigint, 1)`;
  });
  let hold = '';
  if (reservationId !== undefined) {
    params.push(reservationId);
    hold = `held AS (DELETE FROM llm_reservations WHERE id = $${params.length}),`;
  }
  return {
    sql: `WITH ${hold} call AS (
        INSERT INTO llm_calls (run_uid, namespace, user_id, agent, time_ms, cost_usd,
          input_tokens, output_tokens, json)
        VALUES ($1, $2, $3, $4, $5, $6::numeric, $7::bigint, $8::bigint, $9))
      INSERT INTO llm_usage_totals AS t (scope, key, day_ms, cost_usd, input_tokens,
        output_tokens, calls)
      VALUES ${rows.join(', ')}
      ON CONFLICT (scope, key, day_ms) DO UPDATE SET cost_usd = t.cost_usd + EXCLUDED.cost_usd,
        input_tokens = t.input_tokens + EXCLUDED.input_tokens,
        output_tokens = t.output_tokens + EXCLUDED.output_tokens, calls = t.calls + 1`,
    params,
  };
}

/** The advisory lock keys of every scope a hold belongs to or a cap checks, sorted. */
function lockKeys(hold: RunGrant, caps: readonly UsageCap[]): string[] {
  const keys = new Set([
    `run:${hold.runUid}`,
    `user:${hold.user}`,
    `namespace:${hold.namespace}`,
    ...(hold.agent === undefined ? [] : [`agent:${hold.namespace}/${hold.agent}`]),
  ]);
  for (const { scope } of caps) {
    if ('runUid' in scope) keys.add(`run:${scope.runUid}`);
    else if ('agent' in scope) keys.add(`agent:${scope.namespace}/${scope.agent}`);
    else if ('user' in scope) keys.add(`user:${scope.user}`);
    else keys.add(`namespace:${scope.namespace}`);
  }
  return [...keys].sort();
}

/** The column of each field a usage scope compares. */
const COLUMN = {
  runUid: 'run_uid',
  user: 'user_id',
  namespace: 'namespace',
  agent: 'agent',
} as const satisfies Record<UsageScopeField, string>;

type Query = { sql: string; params: unknown[] };

/** The conditions of `scope` on `llm_calls` and `llm_reservations` (the same columns). */
function scopeClause(scope: UsageScope, first = 1): { where: string; params: unknown[] } {
  const { equal, sinceMs } = usageScopeTerms(scope);
  const clauses = equal.map(([field], i) => `${COLUMN[field]} = $${first + i}`);
  const params: unknown[] = equal.map(([, value]) => value);
  if (sinceMs !== undefined) {
    params.push(sinceMs);
    clauses.push(`time_ms >= $${first + params.length - 1}`);
  }
  return { where: clauses.join(' AND '), params };
}

/** The conditions picking the buckets of a range on `llm_usage_totals`. */
function bucketClause(
  range: NonNullable<ReturnType<typeof usageBucketRange>>,
  first = 1,
): { where: string; params: unknown[] } {
  const where = `scope = $${first} AND key = $${first + 1}`;
  if (range.sinceDayMs === undefined) return { where, params: [range.scope, range.key] };
  return {
    where: `${where} AND day_ms >= $${first + 2}`,
    params: [range.scope, range.key, range.sinceDayMs],
  };
}

/**
 * What `cap`'s scope has spent (from the running totals when they cover it) and what calls in
 * flight of it hold, in one statement: one snapshot, so a call settling meanwhile is counted
 * once, as its hold or as its record.
 */
function amountsQuery(cap: UsageCap): Query {
  const isUsd = cap.metric === UsageMetric.CostUsd;
  const range = usageBucketRange(cap.scope);
  const spent = range === undefined ? scopeClause(cap.scope) : bucketClause(range);
  const held = scopeClause(cap.scope, spent.params.length + 1);
  const table = range === undefined ? 'llm_calls' : 'llm_usage_totals';
  const amount = isUsd ? 'cost_usd' : 'input_tokens + output_tokens';
  const heldAmount = isUsd ? 'cost_usd' : 'tokens';
  // Only fixed fragments are concatenated; every value is a bound parameter.
  return {
    sql: `SELECT (SELECT coalesce(sum(${amount}), 0) FROM ${table} WHERE ${spent.where}) AS spent,
                 (SELECT coalesce(sum(${heldAmount}), 0) FROM llm_reservations
                  WHERE ${held.where}) AS held`,
    params: [...spent.params, ...held.params],
  };
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
