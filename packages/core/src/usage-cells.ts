/**
 * The read side of the usage ledger for analytics: the calls of a window summed per UTC hour,
 * namespace, user, agent, provider and model ("cells"). Reports roll cells up into days, top
 * spenders and budget burn-downs; every amount is a sum of the ledger's own rows, so a report
 * matches the ledger exactly. Implementations live beside each ledger (SQLite, PostgreSQL).
 */
import { z } from 'zod';
import { ErrorCode, PaddockError } from './errors.ts';

const Count = z.int().nonnegative();

/** One cell: the calls of one hour (`2025-03-01T14`, UTC) for one namespace, user, agent and model. */
export const UsageCell = z.strictObject({
  hour: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}$/),
  namespace: z.string(),
  user: z.string(),
  /** Absent for runs without an Agent (an inline agent spec). */
  agent: z.string().optional(),
  provider: z.string(),
  model: z.string(),
  costUsd: z.number().nonnegative(),
  inputTokens: Count,
  outputTokens: Count,
  calls: Count,
});
export type UsageCell = z.infer<typeof UsageCell>;

/** The window (`since` inclusive, `until` exclusive) and optional equality filters. */
export type UsageCellQuery = {
  since: Date;
  until: Date;
  namespace?: string;
  user?: string;
};

/**
 * Reads cells of the calls a ledger recorded. `cells` throws `validation_failed` when a date is
 * invalid or `until` is not after `since`; cells come ordered by hour.
 */
export interface UsageCellReader {
  cells(query: UsageCellQuery): Promise<UsageCell[]>;
}

/** The window of `query` in epoch milliseconds, checked (`validation_failed` naming the field). */
export function usageCellWindow(query: UsageCellQuery): { sinceMs: number; untilMs: number } {
  const sinceMs = query.since.getTime();
  const untilMs = query.until.getTime();
  const bad = (path: string, message: string) =>
    new PaddockError(ErrorCode.ValidationFailed, `usage cells: ${path} ${message}`, {
      issues: [{ path, message }],
    });
  if (!Number.isFinite(sinceMs)) throw bad('since', 'is not a valid date');
  if (!Number.isFinite(untilMs)) throw bad('until', 'is not a valid date');
  if (untilMs <= sinceMs) throw bad('until', 'must be after since');
  return { sinceMs, untilMs };
}

/** The UTC hour key of a time: `2025-03-01T14`. */
export function usageHourOf(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 13);
}

/** A row of the ledgers' cell query (`llm_calls` summed per hour, namespace, user, agent, model). */
const CellRow = z.object({
  hour: z.string(),
  namespace: z.string(),
  user_id: z.string(),
  agent: z.string().nullable(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  cost_usd: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  calls: z.number(),
});

/** A cell from one row of a ledger's cell query; an unreadable row is `internal`. */
export function usageCellOfRow(row: unknown): UsageCell {
  const parsed = CellRow.safeParse(row);
  if (!parsed.success) {
    throw new PaddockError(ErrorCode.Internal, 'an unreadable cell of the llm_calls table');
  }
  const r = parsed.data;
  return UsageCell.parse({
    hour: r.hour,
    namespace: r.namespace,
    user: r.user_id,
    ...(r.agent === null ? {} : { agent: r.agent }),
    provider: r.provider ?? '',
    model: r.model ?? '',
    costUsd: r.cost_usd,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    calls: r.calls,
  });
}
