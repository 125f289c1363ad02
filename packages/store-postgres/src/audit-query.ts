import { AuditQuery, decodeAuditCursor, parseInput } from '@paddock/core';

/** A parsed query as SQL: a WHERE clause (possibly empty), its parameters and the page size. */
export type AuditSql = { where: string; params: Array<string | number>; limit: number };

/**
 * Validates `query` (`validation_failed` listing every problem) and builds its WHERE clause with
 * numbered parameters. Only fixed SQL fragments are concatenated; every value is bound.
 */
export function auditQuerySql(query: AuditQuery): AuditSql {
  const parsed = parseInput(AuditQuery, query, 'audit query');
  const clauses: string[] = [];
  const params: Array<string | number> = [];
  const bind = (value: string | number) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (parsed.actor !== undefined) clauses.push(`actor = ${bind(parsed.actor)}`);
  if (parsed.action !== undefined) clauses.push(`action = ${bind(parsed.action)}`);
  if (parsed.result !== undefined) clauses.push(`result = ${bind(parsed.result)}`);
  if (parsed.since !== undefined) clauses.push(`time_ms >= ${bind(Date.parse(parsed.since))}`);
  if (parsed.until !== undefined) clauses.push(`time_ms < ${bind(Date.parse(parsed.until))}`);
  const { target } = parsed;
  if (typeof target === 'string') clauses.push(`target_text = ${bind(target)}`);
  else if (target !== undefined) {
    if (target.kind !== undefined) clauses.push(`target_kind = ${bind(target.kind)}`);
    if (target.namespace !== undefined) {
      clauses.push(`target_namespace = ${bind(target.namespace)}`);
    }
    if (target.name !== undefined) clauses.push(`target_name = ${bind(target.name)}`);
    if (Object.keys(target).length === 0) clauses.push('target_text IS NULL');
  }
  if (parsed.continue !== undefined) {
    const cursor = decodeAuditCursor(parsed.continue);
    clauses.push(`(time_ms, seq) < (${bind(cursor.timeMs)}, ${bind(cursor.seq)})`);
  }
  const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`;
  return { where, params, limit: parsed.limit };
}
