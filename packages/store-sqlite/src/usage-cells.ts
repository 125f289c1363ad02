import {
  parseInput,
  type UsageCell,
  type UsageCellQuery,
  type UsageCellReader,
  usageCellOfRow,
  usageCellWindow,
} from '@paddock/core';
import { z } from 'zod';
import { Connection } from './connection.ts';

/** Options of `openSqliteUsageCells`, validated once (`validation_failed` listing every problem). */
export const SqliteUsageCellsOptions = z.strictObject({
  /** The ledger's database file (`paddock.db`); created and migrated if needed. */
  path: z.string().min(1),
  busyTimeoutMs: z.int().min(0).default(5_000),
});
export type SqliteUsageCellsOptions = z.input<typeof SqliteUsageCellsOptions>;

/**
 * Cells of the `llm_calls` table the SQLite usage ledger writes (see `UsageCellReader` in
 * @paddock/core), read on a connection of its own: one grouped SELECT over the time window.
 */
export class SqliteUsageCells implements UsageCellReader {
  readonly #connection: Connection;

  constructor(options: SqliteUsageCellsOptions) {
    const resolved = parseInput(SqliteUsageCellsOptions, options, 'SQLite usage cells options');
    this.#connection = new Connection(resolved.path, resolved.busyTimeoutMs);
  }

  async cells(query: UsageCellQuery): Promise<UsageCell[]> {
    const { sinceMs, untilMs } = usageCellWindow(query);
    const clauses = ['time_ms >= ?', 'time_ms < ?'];
    const params: Array<string | number> = [sinceMs, untilMs];
    if (query.namespace !== undefined) {
      clauses.push('namespace = ?');
      params.push(query.namespace);
    }
    if (query.user !== undefined) {
      clauses.push('user_id = ?');
      params.push(query.user);
    }
    // Only fixed fragments are concatenated; every value is a bound parameter.
    const sql = `SELECT strftime('%Y-%m-%dT%H', time_ms / 1000, 'unixepoch') AS hour, namespace,
                   user_id, agent, json_extract(json, '$.provider') AS provider,
                   json_extract(json, '$.model') AS model, SUM(cost_usd) AS cost_usd,
                   SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
                   COUNT(*) AS calls
                 FROM llm_calls WHERE ${clauses.join(' AND ')}
                 GROUP BY hour, namespace, user_id, agent, provider, model
                 ORDER BY hour, namespace, user_id, coalesce(agent, ''), provider, model`;
    const rows = this.#connection.run({ operation: 'read usage cells' }, () =>
      this.#connection.statement(sql).all(...params),
    );
    return rows.map(usageCellOfRow);
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }
}

/**
 * Opens the cell reader of the SQLite usage ledger at `options.path`. Throws `validation_failed`
 * for bad options, `internal` for an unusable file.
 */
export async function openSqliteUsageCells(
  options: SqliteUsageCellsOptions,
): Promise<SqliteUsageCells> {
  return new SqliteUsageCells(options);
}
