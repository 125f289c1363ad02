/**
 * The Kubernetes API surface of `paddock up`: discovery, OpenAPI and Paddock's kinds under
 * `/apis/paddock.dev/v1alpha1`, so kubectl, k9s and Kubernetes client libraries work against one
 * machine. Authentication is the REST API's (`admit`: API keys and OIDC as `Authorization:
 * Bearer`, the rate limit, anonymous admin on loopback in dev mode), the scope rule and every
 * rule behind the verbs are the REST API's too; this file only dispatches and answers errors as
 * Kubernetes `Status` objects (`kubeStatusOf`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestChannel, requireInScope } from '@paddock/control';
import { API_GROUP, ErrorCode, KINDS, PaddockError } from '@paddock/core';
import { sendJson } from '@paddock/http';
import { appendAudit, auditRecordFor, type KeyUseSampler } from '../http/audit.ts';
import { toPaddockError } from '../http/errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { HandlerCall, ServerDeps } from '../server-deps.ts';
import type { Admit } from '../ws/upgrade.ts';
import {
  AGGREGATED_DISCOVERY,
  aggregatedDiscovery,
  coreVersions,
  groupDocument,
  groupList,
  resourceList,
  versionInfo,
  wantsAggregated,
} from './kube-discovery.ts';
import { GROUP_OPENAPI_PATH, groupOpenApi, openApiIndex } from './kube-openapi.ts';
import { GROUP_VERSION_PATH, parseResourcePath } from './kube-path.ts';
import { type KubeReply, serveResource } from './kube-resources.ts';
import { kubeStatusOf } from './kube-status.ts';

const EXACT_PATHS: ReadonlySet<string> = new Set(['/version', '/api', '/apis', '/openapi/v3']);

/** Whether a request is the Kubernetes API's. */
export function isKubeRequest(url: URL): boolean {
  const { pathname } = url;
  return (
    EXACT_PATHS.has(pathname) || pathname.startsWith('/apis/') || pathname.startsWith('/openapi/')
  );
}

export type KubeSurfaceOptions = {
  deps: ServerDeps;
  /** The REST API's authentication and rate limit. */
  admit: Admit;
  keyUses: KeyUseSampler;
};

type Answer = KubeReply & { contentType?: string; raw?: string };

function discovery(pathname: string, accept: string | undefined): Answer | undefined {
  const isAggregated = wantsAggregated(accept);
  switch (pathname) {
    case '/version':
      return { status: 200, body: versionInfo() };
    case '/api':
      return isAggregated
        ? { status: 200, body: aggregatedDiscovery(true), contentType: AGGREGATED_DISCOVERY }
        : { status: 200, body: coreVersions() };
    case '/apis':
      return isAggregated
        ? { status: 200, body: aggregatedDiscovery(false), contentType: AGGREGATED_DISCOVERY }
        : { status: 200, body: groupList() };
    case `/apis/${API_GROUP}`:
      return { status: 200, body: groupDocument() };
    case GROUP_VERSION_PATH:
      return { status: 200, body: resourceList() };
    case '/openapi/v3':
      return { status: 200, body: openApiIndex() };
    case GROUP_OPENAPI_PATH:
      return { status: 200, body: undefined, raw: groupOpenApi().document };
    default:
      return undefined;
  }
}

const NOT_FOUND_MESSAGE = 'the server could not find the requested resource';

async function answer(
  options: KubeSurfaceOptions,
  ctx: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Answer> {
  const admission = await options.admit(ctx, req.headers.authorization);
  if ('error' in admission) throw admission.error;
  const { principal } = admission;
  const path = parseResourcePath(ctx.url.pathname);
  requireInScope(principal, {
    channel: RequestChannel.Api,
    method: ctx.method,
    namespace: path?.namespace,
    // Discovery describes the API itself, as the REST API's kind list does.
    ...(path === undefined ? { operation: 'listKinds' } : {}),
  });
  if (path === undefined) {
    const found =
      ctx.method === 'GET' ? discovery(ctx.url.pathname, req.headers.accept) : undefined;
    if (found === undefined) {
      req.resume();
      throw new PaddockError(ErrorCode.NotFound, NOT_FOUND_MESSAGE);
    }
    return found;
  }
  res.once('close', options.deps.keyConnections.bind(principal, req.socket));
  const call: HandlerCall = { ctx, principal, req, res, deps: options.deps };
  return serveResource(
    { call, path, query: ctx.url.searchParams, maxBodyBytes: options.deps.config.maxBodyBytes },
    ctx.method,
  );
}

/** Serves one request of the Kubernetes API surface, audit record included. */
export function createKubeSurface(options: KubeSurfaceOptions) {
  const { deps } = options;
  return async (ctx: RequestContext, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let status: number;
    let failure: PaddockError | undefined;
    try {
      const reply = await answer(options, ctx, req, res);
      status = reply.status;
      if (!('isStreamed' in reply)) {
        const headers = {
          'x-request-id': ctx.requestId,
          'cache-control': 'no-store',
          ...(reply.contentType === undefined ? {} : { 'content-type': reply.contentType }),
        };
        if (reply.raw !== undefined) {
          res.writeHead(reply.status, { ...headers, 'content-type': 'application/json' });
          res.end(reply.raw);
        } else if (reply.contentType !== undefined) {
          res.writeHead(reply.status, headers);
          res.end(JSON.stringify(reply.body));
        } else sendJson(res, reply.status, reply.body, { headers, req });
      }
    } catch (error) {
      failure = toPaddockError(error, ctx.requestId, deps.log);
      const path = parseResourcePath(ctx.url.pathname);
      // A create names its object in the body; the verb put that name in the audit target.
      const noted = ctx.audit.target;
      const name = path?.name ?? (typeof noted === 'object' ? noted.name : undefined);
      const target =
        path === undefined
          ? {}
          : {
              group: API_GROUP,
              kind: KINDS[path.kind].plural,
              ...(name === undefined ? {} : { name }),
            };
      const { http, body } = kubeStatusOf(failure, target);
      status = http;
      if (!res.headersSent) {
        sendJson(res, http, body, {
          headers: { 'x-request-id': ctx.requestId, 'cache-control': 'no-store' },
          req,
        });
      } else if (!res.writableEnded) res.end();
    }
    deps.metrics.httpRequests.inc({
      route:
        parseResourcePath(ctx.url.pathname) === undefined
          ? 'kube discovery'
          : `${GROUP_VERSION_PATH}`,
      method: ctx.method,
      status: String(status),
    });
    await appendAudit(
      deps.engine.auditLog,
      auditRecordFor(ctx, status, failure, (keyId) => options.keyUses.isDue(keyId, Date.now())),
      deps.log,
    );
  };
}
