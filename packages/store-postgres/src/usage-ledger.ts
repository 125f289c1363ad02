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
 * replica, so a budget counts the calls of all of them. A `record` is one INSERT (atomic and
 * durable when it resolves); `totals` sums in one statement, so it sees each call whole or not
 * at all. `cost_usd` is an exact decimal: totals do not drift with the order of the calls.
 * `reserve` runs in one transaction holding an advisory lock per scope the hold belongs to (its
 * run, user, namespace, agent; taken in one order, so two never deadlock): reservations that
 * share a scope, on any replica, check and insert one after another; `settle` swaps the hold
 * for the record in one transaction.
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
      INSERT_CALL,
      callParams(input),
    );
  }

  async reserve(reservation: UsageReservation, caps: readonly UsageCap[]): Promise<ReserveOutcome> {
    const hold = parseInput(UsageReservation, reservation, 'usage reservation');
    const checks = caps.map((cap) => ({ ...cap, ...scopeClause(cap.scope) }));
    const atMs = Date.parse(hold.at);
    this.#handle.assertOpen('reserve LLM budget');
    const context = { operation: 'reserve LLM budget', object: hold.runUid };
    return this.#handle.database.transaction(context, async (tx) => {
      for (const key of lockKeys(hold, caps)) {
        await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
      }
      await tx.query('DELETE FROM llm_reservations WHERE expires_ms <= $1', [atMs]);
      for (const [cap, { metric, max, where, params }] of checks.entries()) {
        const isUsd = metric === UsageMetric.CostUsd;
        const spent = isUsd ? 'cost_usd' : 'input_tokens + output_tokens';
        const held = isUsd ? 'cost_usd' : 'tokens';
        // Only fixed fragments are concatenated; every value is a bound parameter.
        const [row] = await tx.query(
          `SELECT (SELECT coalesce(sum(${spent}), 0) FROM llm_calls WHERE ${where}) AS spent,
                  (SELECT coalesce(sum(${held}), 0) FROM llm_reservations WHERE ${where}) AS held`,
          params,
        );
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
    const context = { operation: 'settle LLM call', object: input.runUid };
    await this.#handle.database.transaction(context, async (tx) => {
      await tx.query('DELETE FROM llm_reservations WHERE id = $1', [reservationId]);
      await tx.query(INSERT_CALL, callParams(input));
    });
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

const INSERT_CALL = `INSERT INTO llm_calls (run_uid, namespace, user_id, agent, time_ms, cost_usd,
    input_tokens, output_tokens, json)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

function callParams(input: LlmCallRecord): unknown[] {
  return [
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
  ];
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
