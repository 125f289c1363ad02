import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { httpStatusFor } from '@paddock/api';
import type { Principal } from '@paddock/control';
import { AuditAction, ErrorCode, PaddockError } from '@paddock/core';
import { appendAudit, auditRecordFor } from '../http/audit.ts';
import { sendError, toPaddockError } from '../http/errors.ts';
import type { RateLimiter } from '../http/rate-limit.ts';
import { createRequestContext, type RequestContext } from '../http/request-context.ts';
import { type Reply, streamed } from '../http/respond.ts';
import type { ServerDeps } from '../server-deps.ts';
import type { TlsMaterial } from '../tls-files.ts';
import { refuseUpgrade } from '../ws/refuse.ts';
import { proxyPreviewHttp } from './preview-http.ts';
import type { PreviewAddress } from './preview-links.ts';
import { type PreviewPath, parsePreviewPath } from './preview-path.ts';
import {
  type ConfirmPrincipal,
  previewPrincipal,
  previewSessionCookie,
} from './preview-session.ts';
import type { PreviewSigner } from './preview-token.ts';
import { proxyPreviewUpgrade } from './preview-websocket.ts';

const ROUTE = 'preview';

/** The preview listener: http, or https with the API's certificate when the API serves TLS. */
export type PreviewListener = Server | HttpsServer;

/**
 * Binds the preview listener (port 0 = a free port); it answers nothing until `servePreviews`.
 * With `tls` it speaks https only (WebSocket upgrades `wss:`): plain http gets no answer.
 */
export async function listenPreview(
  addr: PreviewAddress,
  tls?: TlsMaterial,
): Promise<PreviewListener> {
  // Only WebSocket upgrades leave the request pipeline (an `Upgrade: h2c` is a plain request).
  const shouldUpgradeCallback = (req: IncomingMessage) =>
    req.headers.upgrade?.toLowerCase() === 'websocket';
  const server =
    tls === undefined
      ? createServer({ shouldUpgradeCallback })
      : createHttpsServer({ shouldUpgradeCallback, ...tls });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => resolve());
  });
  return server;
}

export function boundAddress(server: PreviewListener): PreviewAddress {
  const { address, port } = server.address() as AddressInfo;
  return { host: address, port };
}

type Previews = {
  deps: ServerDeps;
  signer: PreviewSigner;
  limiter: RateLimiter;
  /** The API's check of the key a credential was minted with, made on every request. */
  confirm: ConfirmPrincipal;
};

/**
 * The preview origin: sandbox ports by host (`{port}--{name}--{ns}.preview.localhost`) or by
 * path (`/preview/{ns}/{name}/{port}/…`), HTTP and WebSocket, and nothing else (`/`, `/api/…`
 * and every other path are 404). Credentials are only preview tokens and the cookie they are
 * exchanged for, and only while the API key they were minted with is still valid; API keys are
 * never read here. Returns the shutdown of open connections.
 */
export function servePreviews(server: PreviewListener, previews: Previews): () => Promise<void> {
  const { deps } = previews;
  const inFlight = new Set<Promise<void>>();
  const open = new Set<Duplex>();

  async function admit(
    ctx: RequestContext,
    req: IncomingMessage,
  ): Promise<PreviewPath & { who: Principal }> {
    const path = parsePreviewPath(ctx.url, req.headers.host);
    if (path === undefined) {
      throw new PaddockError(
        ErrorCode.NotFound,
        `this is Paddock's preview origin: it serves only sandbox previews, not ${ctx.url.pathname} (the API and the web UI are on the main address)`,
      );
    }
    ctx.audit.action = AuditAction.Preview;
    ctx.audit.target = { kind: 'Sandbox', namespace: path.namespace, name: path.name };
    ctx.audit.details = { port: path.port };
    const who = await previewPrincipal(req, path, previews.signer, previews.confirm, Date.now());
    ctx.principal = who;
    const decision = previews.limiter.take(who.id, Date.now());
    if (!decision.allowed) {
      throw new PaddockError(
        ErrorCode.RateLimited,
        `rate limit exceeded; retry in ${decision.retryAfterSec}s`,
        { retryAfterSec: decision.retryAfterSec },
      );
    }
    return { ...path, who };
  }

  /** A token in the URL becomes a cookie for this host and mount; the clean URL is reloaded. */
  function exchange(ctx: RequestContext, res: ServerResponse, path: PreviewPath, who: Principal) {
    res.writeHead(303, {
      location: `${path.prefix}${path.upstreamPath}`,
      'set-cookie': previewSessionCookie(
        who,
        path,
        previews.signer,
        Date.now(),
        deps.previews.isSecure,
      ),
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-request-id': ctx.requestId,
    });
    res.end();
    return streamed(303);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const ctx = createRequestContext(req);
    let outcome: { reply: Reply } | { error: PaddockError };
    try {
      const { who, ...path } = await admit(ctx, req);
      res.once('close', deps.keyConnections.bind(who, req.socket));
      res.once('close', deps.sandboxConnections.bind(who, path, req.socket));
      const call = { ctx, principal: who, req, res, deps };
      const isNavigation = ctx.method === 'GET' || ctx.method === 'HEAD';
      if (path.token !== undefined && isNavigation) {
        req.resume();
        outcome = { reply: exchange(ctx, res, path, who) };
      } else outcome = { reply: await proxyPreviewHttp(call, path) };
    } catch (error) {
      req.resume();
      outcome = { error: toPaddockError(error, ctx.requestId, deps.log) };
    }
    const status = 'reply' in outcome ? outcome.reply.status : httpStatusFor(outcome.error.code);
    deps.metrics.httpRequests.inc({ route: ROUTE, method: ctx.method, status: String(status) });
    const error = 'error' in outcome ? outcome.error : undefined;
    await appendAudit(deps.engine.auditLog, auditRecordFor(ctx, status, error), deps.log);
    if (error !== undefined) sendError(res, error, ctx.requestId, { status });
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const ctx = createRequestContext(req);
    socket.on('error', () => {});
    let status: number;
    let error: PaddockError | undefined;
    try {
      const { who, ...path } = await admit(ctx, req);
      deps.keyConnections.bind(who, socket);
      deps.sandboxConnections.bind(who, path, socket);
      status = await proxyPreviewUpgrade(
        { ctx, principal: who, req, socket, head, deps, open },
        path,
      );
    } catch (thrown) {
      error = toPaddockError(thrown, ctx.requestId, deps.log);
      status = httpStatusFor(error.code);
      refuseUpgrade(socket, error, ctx.requestId, status);
    }
    deps.metrics.httpRequests.inc({ route: ROUTE, method: ctx.method, status: String(status) });
    await appendAudit(deps.engine.auditLog, auditRecordFor(ctx, status, error), deps.log);
  }

  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  server.on('request', (req, res) => track(handle(req, res)));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    track(upgrade(req, socket, head)),
  );
  return async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of open) socket.destroy();
    server.closeIdleConnections();
    await Promise.allSettled([...inFlight]);
    server.closeAllConnections();
    await closed;
  };
}
