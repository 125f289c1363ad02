import { AuditQuery, decodeAuditCursor, parseInput } from '@paddock/core';

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
