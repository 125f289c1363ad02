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
 * Says when a read made with an API key is worth an `apikey.use` record: the first one of each
 * key in every window (a minute by default). A browser session polls and watches all the time;
 * one record a minute shows that and when a key is used without burying everything else.
 */
export class KeyUseSampler {
  readonly #windowMs: number;
  readonly #last = new Map<string, number>();

  constructor(windowMs = 60_000) {
    this.#windowMs = windowMs;
  }

  isDue(keyId: string, nowMs: number): boolean {
    const last = this.#last.get(keyId);
    if (last !== undefined && nowMs - last < this.#windowMs) return false;
    this.#last.set(keyId, nowMs);
    if (this.#last.size > 10_000) {
      for (const [id, at] of this.#last) if (nowMs - at >= this.#windowMs) this.#last.delete(id);
    }
    return true;
  }
}

/**
 * The audit record of a finished request, or undefined when it needs none. Audited: every
 * mutation (any non-read method, matched or not), every request with a handler-declared action
 * (exec, logs of a terminal…), every authentication failure, and reads made with an API key as
 * `apikey.use` when `isKeyUseDue` says so (every one by default).
 */
export function auditRecordFor(
  ctx: RequestContext,
  status: number,
  error: { code: string; message: string } | undefined,
  isKeyUseDue: (keyId: string) => boolean = () => true,
): AuditRecord | undefined {
  const isAuthFailure = error?.code === 'unauthenticated';
  const keyId = ctx.principal?.keyId;
  const isMutation = !READ_METHODS.has(ctx.method);
  let action = ctx.audit.action;
  if (isAuthFailure) action = AuditAction.AuthFailure;
  else if (action === undefined && isMutation) action = 'http.unmatched';
  else if (action === undefined && keyId !== undefined && isKeyUseDue(keyId)) {
    action = AuditAction.ApiKeyUse;
  }
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
