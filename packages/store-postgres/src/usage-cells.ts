import {
  parseInput,
  type UsageCell,
  type UsageCellQuery,
  type UsageCellReader,
  usageCellOfRow,
  usageCellWindow,
} from '@paddock/core';
import { z } from 'zod';
import { databaseOf, hasOneSource, SOURCE_SHAPE } from './database.ts';
import { LogHandle } from './log-handle.ts';

/** Options of `openPostgresUsageCells`, validated once (`validation_failed` listing every problem). */
export const PostgresUsageCellsOptions = z.strictObject(SOURCE_SHAPE).refine(...hasOneSource);
export type PostgresUsageCellsOptions = z.input<typeof PostgresUsageCellsOptions>;

/**
 * Cells of the `llm_calls` table the PostgreSQL usage ledger writes (see `UsageCellReader` in
 * @paddock/core): one grouped SELECT over the window, cost summed as exact decimals.
 */
export class PostgresUsageCells implements UsageCellReader {
  readonly #handle: LogHandle;

  constructor(handle: LogHandle) {
    this.#handle = handle;
  }

  async cells(query: UsageCellQuery): Promise<UsageCell[]> {
    const { sinceMs, untilMs } = usageCellWindow(query);
    const params: Array<string | number> = [sinceMs, untilMs];
    const clauses = ['time_ms >= $1', 'time_ms < $2'];
    if (query.namespace !== undefined) {
      params.push(query.namespace);
      clauses.push(`namespace = $${params.length}`);
    }
    if (query.user !== undefined) {
      params.push(query.user);
      clauses.push(`user_id = $${params.length}`);
    }
    this.#handle.assertOpen('read usage cells');
    // Only fixed fragments are concatenated; every value is a bound parameter.
    const rows = await this.#handle.database.query(
      { operation: 'read usage cells' },
      `SELECT to_char(to_timestamp(time_ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour,
              namespace, user_id, agent, json::json->>'provider' AS provider,
              json::json->>'model' AS model, sum(cost_usd) AS cost_usd,
              sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
              count(*) AS calls
       FROM llm_calls WHERE ${clauses.join(' AND ')}
       GROUP BY 1, namespace, user_id, agent, 5, 6
       ORDER BY 1, namespace, user_id, coalesce(agent, ''), 5, 6`,
      params,
    );
    return rows.map(usageCellOfRow);
  }

  /** Closes the database when the reader opened it. */
  async close(): Promise<void> {
    await this.#handle.close();
  }
}

/**
 * Opens the cell reader of the PostgreSQL usage ledger: on its own database from `url` or on a
 * shared `database`. Throws like `openPostgresUsageLedger`.
 */
export async function openPostgresUsageCells(
  options: PostgresUsageCellsOptions,
): Promise<PostgresUsageCells> {
  const resolved = parseInput(PostgresUsageCellsOptions, options, 'PostgreSQL usage cells options');
  const { database, isOwned } = await databaseOf(resolved);
  return new PostgresUsageCells(new LogHandle(database, isOwned));
}
