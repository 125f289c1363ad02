import { AuditQuery, ErrorCode, PaddockError, parseInput } from '@paddock/core';
import { z } from 'zod';

/** Where the next page starts: strictly older than the last record returned. */
const AuditCursor = z.strictObject({
  v: z.literal(1),
  timeMs: z.int(),
  seq: z.int().positive(),
});
export type AuditCursor = z.infer<typeof AuditCursor>;

export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeAuditCursor(text: string): AuditCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const result = AuditCursor.safeParse(value);
  if (!result.success) {
    const message = 'is not a continue token from a previous audit query';
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid continue token: ${message}`, {
      issues: [{ path: 'continue', message }],
    });
  }
  return result.data;
}

/** A parsed query as SQL: a WHERE clause (possibly empty), its parameters and the page size. */
export type AuditSql = { where: string; params: Array<string | number>; limit: number };

/**
 * Validates `query` (`validation_failed` listing every problem) and builds its WHERE clause.
 * Only fixed SQL fragments are concatenated; every value is a bound parameter.
 */
export function auditQuerySql(query: AuditQuery): AuditSql {
  const parsed = parseInput(AuditQuery, query, 'audit query');
  const clauses: string[] = [];
  const params: Array<string | number> = [];
  const add = (clause: string, ...values: Array<string | number>) => {
    clauses.push(clause);
    params.push(...values);
  };
  if (parsed.actor !== undefined) add('actor = ?', parsed.actor);
  if (parsed.action !== undefined) add('action = ?', parsed.action);
  if (parsed.result !== undefined) add('result = ?', parsed.result);
  if (parsed.since !== undefined) add('time_ms >= ?', Date.parse(parsed.since));
  if (parsed.until !== undefined) add('time_ms < ?', Date.parse(parsed.until));
  const { target } = parsed;
  if (typeof target === 'string') add('target_text = ?', target);
  else if (target !== undefined) {
    if (target.kind !== undefined) add('target_kind = ?', target.kind);
    if (target.namespace !== undefined) add('target_namespace = ?', target.namespace);
    if (target.name !== undefined) add('target_name = ?', target.name);
    if (Object.keys(target).length === 0) add('target_text IS NULL');
  }
  if (parsed.continue !== undefined) {
    const cursor = decodeAuditCursor(parsed.continue);
    add('(time_ms < ? OR (time_ms = ? AND seq < ?))', cursor.timeMs, cursor.timeMs, cursor.seq);
  }
  const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
  return { where, params, limit: parsed.limit };
}
