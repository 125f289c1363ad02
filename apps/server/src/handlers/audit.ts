import { SYSTEM_ROUTES } from '@paddock/api';
import { auditActorFor } from '@paddock/control';
import type { AuditRecord, AuditTarget } from '@paddock/core';
import { json } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';

/** `Sandbox/default/web` for a resource target; free text as is. */
export function targetText(target: AuditTarget): string {
  if (typeof target === 'string') return target;
  return [target.kind, target.namespace, target.name].filter((p) => p !== undefined).join('/');
}

/** The wire filter `Kind/ns/name` (or `Kind/name`) as the store's resource target. */
function targetFilter(text: string): AuditTarget {
  const parts = text.split('/');
  if (parts.length === 3)
    return { kind: parts[0] ?? '', namespace: parts[1] ?? '', name: parts[2] ?? '' };
  if (parts.length === 2 && !text.startsWith('/'))
    return { kind: parts[0] ?? '', name: parts[1] ?? '' };
  return text;
}

function wireRecord(record: AuditRecord) {
  const details =
    typeof record.details === 'object' && record.details !== null && !Array.isArray(record.details)
      ? record.details
      : {};
  const code = details.code;
  const sourceIp = details.sourceIp;
  return {
    id: record.id,
    time: record.time,
    requestId: record.requestId,
    actor: record.actor,
    action: record.action,
    target: targetText(record.target),
    result: record.result,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof sourceIp === 'string' ? { sourceIp } : {}),
    details: { ...details, ...(record.status === undefined ? {} : { status: record.status }) },
  };
}

/** Admins query every record; users only their own actions. Newest first, paginated. */
export const auditHandlers: RouteHandler[] = [
  on(SYSTEM_ROUTES.listAudit, async ({ principal, deps }, { query }) => {
    const actor = auditActorFor(principal, query.actor);
    const page = await deps.engine.auditLog.query({
      ...(actor === undefined ? {} : { actor }),
      ...(query.action === undefined ? {} : { action: query.action }),
      ...(query.target === undefined ? {} : { target: targetFilter(query.target) }),
      ...(query.result === undefined ? {} : { result: query.result }),
      ...(query.since === undefined ? {} : { since: query.since }),
      ...(query.until === undefined ? {} : { until: query.until }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      ...(query.continue === undefined ? {} : { continue: query.continue }),
    });
    return json({
      kind: 'AuditRecordList',
      metadata: {
        resourceVersion: '0',
        ...(page.continue === undefined ? {} : { continue: page.continue }),
      },
      items: page.items.map(wireRecord),
    });
  }),
];
