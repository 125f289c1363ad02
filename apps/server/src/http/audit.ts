import { randomUUID } from 'node:crypto';
import { AuditAction, type AuditLog, type AuditRecord, AuditResult } from '@paddock/core';
import type { RequestContext } from './request-context.ts';

const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `unauthenticated` for a refused credential; `denied` for authorization and policy refusals. */
function resultFor(status: number): AuditResult {
  if (status < 400) return AuditResult.Success;
  if (status === 401 || status === 403) return AuditResult.Denied;
  return AuditResult.Failure;
}

/**
 * The audit record of a finished request, or undefined when it needs none. Audited: every
 * mutation (any non-read method, matched or not), every request with a handler-declared action
 * (exec, logs of a terminal…), every use of an API key, every authentication failure.
 */
export function auditRecordFor(
  ctx: RequestContext,
  status: number,
  error: { code: string; message: string } | undefined,
): AuditRecord | undefined {
  const isAuthFailure = error?.code === 'unauthenticated';
  const keyId = ctx.principal?.keyId;
  const isMutation = !READ_METHODS.has(ctx.method);
  let action = ctx.audit.action;
  if (isAuthFailure) action = AuditAction.AuthFailure;
  else if (action === undefined && isMutation) action = 'http.unmatched';
  else if (action === undefined && keyId !== undefined) action = AuditAction.ApiKeyUse;
  if (action === undefined) return undefined;
  const details = {
    ...ctx.audit.details,
    method: ctx.method,
    path: ctx.url.pathname,
    ...(keyId === undefined ? {} : { keyId }),
    ...(ctx.remoteAddress === undefined ? {} : { sourceIp: ctx.remoteAddress }),
    ...(error === undefined ? {} : { code: error.code }),
  };
  return {
    id: randomUUID(),
    time: new Date().toISOString(),
    requestId: ctx.requestId,
    actor: isAuthFailure ? 'unknown' : (ctx.principal?.id ?? 'unknown'),
    action,
    target: ctx.audit.target ?? ctx.url.pathname,
    result: resultFor(status),
    status,
    ...(error === undefined ? {} : { message: error.message.slice(0, 10_000) }),
    details,
  };
}

/** Appends the record (durably) before the caller considers the request done. */
export async function appendAudit(
  log: AuditLog,
  record: AuditRecord | undefined,
  onError: (line: string) => void,
): Promise<void> {
  if (record === undefined) return;
  try {
    await log.append(record);
  } catch (error) {
    onError(`audit append failed for request ${record.requestId}: ${(error as Error).message}`);
  }
}
