import type { z } from 'zod';
import { ErrorCode, PaddockError } from './errors.ts';

/**
 * A store's row that holds a JSON document in `json` beside its `seq`, read back: the row checked
 * with `rowSchema` and the document with `documentSchema`. A row that fails either check is a
 * corrupt row: `internal`, naming the table and the row's `seq`. Shared by the SQL stores
 * (SQLite, PostgreSQL), which hold the same documents.
 */
export function decodeJsonRow<
  R extends z.ZodType<{ seq: number; json: string }>,
  D extends z.ZodType,
>(
  row: unknown,
  rowSchema: R,
  documentSchema: D,
  table: string,
): { row: z.output<R>; document: z.output<D> } {
  const parsed = rowSchema.safeParse(row);
  const document = parsed.success ? safeJson(parsed.data.json) : undefined;
  const checked = documentSchema.safeParse(document);
  if (!parsed.success || !checked.success) {
    throw new PaddockError(ErrorCode.Internal, `a corrupt row in the ${table} table`, {
      seq: parsed.success ? parsed.data.seq : null,
    });
  }
  return { row: parsed.data, document: checked.data };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
