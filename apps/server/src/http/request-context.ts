import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AnyRoute } from '@paddock/api';
import type { Principal } from '@paddock/control';
import type { AuditTarget, JsonValue } from '@paddock/core';

/** What the audit record of a request will say; handlers refine target and details. */
export type AuditNote = {
  action: string | undefined;
  target: AuditTarget | undefined;
  details: Record<string, JsonValue>;
};

/** Everything the pipeline learns about one request, in order: id, route, caller. */
export type RequestContext = {
  requestId: string;
  startedAtMs: number;
  method: string;
  url: URL;
  remoteAddress: string | undefined;
  route: AnyRoute | undefined;
  params: Record<string, string>;
  principal: Principal | undefined;
  audit: AuditNote;
};

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `x-request-id` when it is a sane token, else a fresh UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

export function createRequestContext(req: IncomingMessage): RequestContext {
  return {
    requestId: requestIdOf(req),
    startedAtMs: performance.now(),
    method: req.method ?? 'GET',
    url: new URL(req.url ?? '/', 'http://paddock.invalid'),
    remoteAddress: req.socket.remoteAddress,
    route: undefined,
    params: {},
    principal: undefined,
    audit: { action: undefined, target: undefined, details: {} },
  };
}
