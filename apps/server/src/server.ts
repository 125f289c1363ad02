import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { httpStatusFor, matchRoute } from '@paddock/api';
import {
  type Authenticator,
  createAuthenticator,
  createOidcVerifier,
  Informer,
  type Principal,
  PrincipalVia,
  RequestChannel,
  requireInScope,
} from '@paddock/control';
import { ErrorCode, PaddockError } from '@paddock/core';
import { isLoopback, type ServerConfig } from './config.ts';
import { AccessTokens } from './e2b/e2b-sandboxes.ts';
import { createE2bSurface, isE2bRequest } from './e2b/e2b-server.ts';
import type { Engine } from './engine.ts';
import { apiKeyHandlers } from './handlers/api-keys.ts';
import { auditHandlers } from './handlers/audit.ts';
import { clusterHandlers } from './handlers/cluster.ts';
import { credentialHandlers } from './handlers/credentials.ts';
import { DownloadLinkSigner } from './handlers/download-link-token.ts';
import { policyHandlers } from './handlers/policy.ts';
import { resourceRouteHandlers } from './handlers/resources.ts';
import { runHandlers } from './handlers/runs.ts';
import { sandboxHandlers } from './handlers/sandbox.ts';
import { systemHandlers } from './handlers/system.ts';
import { templateResolveHandlers } from './handlers/template-resolve.ts';
import { appendAudit, auditRecordFor, KeyUseSampler } from './http/audit.ts';
import { sendError, toPaddockError } from './http/errors.ts';
import { KeyConnections } from './http/key-connections.ts';
import { ServerMetrics } from './http/metrics.ts';
import { RateLimiter } from './http/rate-limit.ts';
import { createRequestContext, type RequestContext } from './http/request-context.ts';
import { type Reply, sendReply } from './http/respond.ts';
import { parseRouteInput, type RouteHandler } from './http/router.ts';
import { countRunOutcomes } from './http/run-outcomes.ts';
import { SandboxConnections } from './http/sandbox-connections.ts';
import { createSelfFetch } from './http/self-fetch.ts';
import { createKubeSurface, isKubeRequest } from './kube-api/kube-api-server.ts';
import { RELAY_HEADER, RelayKey } from './mcp/mcp-relay.ts';
import { createMcpSurface, isMcpRequest } from './mcp/mcp-server.ts';
import { PreviewLinks } from './preview/preview-links.ts';
import { boundAddress, listenPreview, servePreviews } from './preview/preview-server.ts';
import { PreviewSigner } from './preview/preview-token.ts';
import type { ServerDeps } from './server-deps.ts';
import { readTlsFiles } from './tls-files.ts';
import { createWebUi } from './web-ui.ts';
import { type Admit, createUpgradeHandler } from './ws/upgrade.ts';

export type RunningServer = {
  url: string;
  /** The preview listener's base URL (sandbox previews have their own origin). */
  previewUrl: string;
  metrics: ServerMetrics;
  /** Stops accepting, lets in-flight requests finish, ends long streams. */
  close(): Promise<void>;
};

const HANDLERS: ReadonlyMap<string, RouteHandler> = new Map(
  [
    ...resourceRouteHandlers,
    ...sandboxHandlers,
    ...apiKeyHandlers,
    ...auditHandlers,
    ...systemHandlers,
    ...templateResolveHandlers,
    ...policyHandlers,
    ...runHandlers,
    ...credentialHandlers,
    ...clusterHandlers,
  ].map((h) => [h.route.operationId, h]),
);

/** Operation ids of the route table that have no handler (the server test checks it is empty). */
export function unhandledOperations(routes: readonly { operationId: string }[]): string[] {
  return routes.map((r) => r.operationId).filter((id) => !HANDLERS.has(id));
}

function authenticatorFor(config: ServerConfig, engine: Engine): Authenticator {
  const oidc =
    config.oidcIssuer !== undefined && config.oidcAudience !== undefined
      ? createOidcVerifier({
          issuer: config.oidcIssuer,
          audience: config.oidcAudience,
          ...(config.oidcJwksUrl === undefined ? {} : { jwksUrl: config.oidcJwksUrl }),
        })
      : undefined;
  return createAuthenticator({
    apiKeys: engine.apiKeys,
    runTokens: engine.runTokens,
    allowAnonymousAdmin: !config.isAuthRequired,
    ...(oidc === undefined ? {} : { oidc }),
  });
}

/** The former preview path on the API's origin: answered with a pointer to the preview origin. */
const MOVED_PREVIEW = /^\/api\/v1\/namespaces\/[^/]+\/sandboxes\/[^/]+\/preview(\/|$)/;

/** The caller of routes that need no authentication (probes, metrics): no role at all. */
const NOBODY: Principal = { id: 'anonymous', roles: [], via: PrincipalVia.Anonymous };

type Outcome =
  | { reply: Reply }
  | { error: PaddockError; status?: number; headers?: Record<string, string> };

type Pipeline = {
  deps: ServerDeps;
  authenticator: Authenticator;
  limiter: RateLimiter;
  /** Marks the MCP surface's REST calls, whose `/mcp` request was charged already. */
  relay: RelayKey;
};

/** Authentication, then the per-principal rate limit (unless `isCharged` is false). */
async function admit(
  p: Pipeline,
  ctx: RequestContext,
  authorization: string | undefined,
  isCharged = true,
): ReturnType<Admit> {
  const principal = await p.authenticator.authenticate(authorization, {
    ...(ctx.remoteAddress === undefined ? {} : { remoteAddress: ctx.remoteAddress }),
  });
  ctx.principal = principal;
  if (!isCharged) return { principal };
  const decision = p.limiter.take(principal.id, Date.now());
  if (decision.allowed) return { principal };
  const error = new PaddockError(
    ErrorCode.RateLimited,
    `rate limit exceeded; retry in ${decision.retryAfterSec}s`,
    { retryAfterSec: decision.retryAfterSec },
  );
  return { error, headers: { 'retry-after': String(decision.retryAfterSec) } };
}

async function serve(
  p: Pipeline,
  ctx: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Outcome> {
  if (MOVED_PREVIEW.test(ctx.url.pathname)) {
    req.resume();
    const error = new PaddockError(
      ErrorCode.NotFound,
      `previews are served on their own origin (${p.deps.previews.origin}), not by the API: GET …/sandboxes/{name}/ports gives each port's previewUrl`,
    );
    return { error };
  }
  const { match, allowed } = matchRoute(ctx.method, ctx.url.pathname);
  if (match === undefined) {
    req.resume();
    if (allowed.length > 0) {
      const error = new PaddockError(
        ErrorCode.MethodNotAllowed,
        `${ctx.method} is not allowed on ${ctx.url.pathname}`,
        { allowed },
      );
      return { error, headers: { allow: allowed.join(', ') } };
    }
    return { error: new PaddockError(ErrorCode.NotFound, `no route for ${ctx.url.pathname}`) };
  }
  const { route, params } = match;
  ctx.route = route;
  ctx.params = params;
  const handler = HANDLERS.get(route.operationId);
  ctx.audit.action = handler?.action;
  const kind = route.tags[0];
  const name = params.name ?? params.id;
  ctx.audit.target = {
    ...(kind === undefined ? {} : { kind }),
    ...(params.namespace === undefined ? {} : { namespace: params.namespace }),
    ...(name === undefined ? {} : { name }),
  };
  if (handler === undefined)
    throw new PaddockError(ErrorCode.Internal, `no handler for ${route.operationId}`);
  let principal = NOBODY;
  if (route.auth === 'required') {
    const admission = await admit(
      p,
      ctx,
      req.headers.authorization,
      !p.relay.matches(req.headers[RELAY_HEADER]),
    );
    if ('error' in admission) {
      req.resume();
      return admission;
    }
    principal = admission.principal;
    try {
      requireInScope(principal, {
        channel: RequestChannel.Api,
        method: ctx.method,
        namespace: params.namespace,
        operation: route.operationId,
      });
    } catch (error) {
      req.resume();
      throw error;
    }
    // Revoking the key ends this request, and the stream it may become, at once.
    res.once('close', p.deps.keyConnections.bind(principal, req.socket));
    if (kind === 'Sandbox' && params.namespace !== undefined && params.name !== undefined) {
      const sandbox = { namespace: params.namespace, name: params.name };
      res.once('close', p.deps.sandboxConnections.bind(principal, sandbox, req.socket));
    }
  }
  const input = await parseRouteInput(route, params, ctx.url, req, p.deps.config.maxBodyBytes);
  const reply = await handler.handle({ ctx, principal, req, res, deps: p.deps }, input);
  return { reply };
}

/** A wildcard bind address as this machine dials it (loopback), bracketed when IPv6. */
function dialHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}

/**
 * `/mcp` for runs, on the gateway's listener (which their sandboxes reach through the egress
 * path, and nothing else of Paddock): run tokens only, the read-only tools, each tool calling
 * this server's API at `apiUrl` with the run's token.
 */
function mountRunMcp(p: Pipeline, apiUrl: string, selfFetch: typeof fetch | undefined): void {
  const runMcp = createMcpSurface({
    deps: p.deps,
    admit: (ctx, auth) => admit(p, ctx, auth),
    relayHeaders: p.relay.headers(),
    apiUrl: () => apiUrl,
    isRunTokenOnly: true,
    ...(selfFetch === undefined ? {} : { selfFetch }),
  });
  p.deps.engine.gateway.mountMcp((req, res) => void runMcp(createRequestContext(req), req, res));
}

/** Starts the HTTP listener. Resolves once it is bound; `url` carries the real port when 0 was asked. */
export async function startServer(
  config: ServerConfig,
  engine: Engine,
  log: (line: string) => void,
): Promise<RunningServer> {
  const tls = readTlsFiles(config.tls, config.addr.host);
  const gatewayAt = engine.gateway.server.address() as AddressInfo;
  if (tls !== undefined && !isLoopback(gatewayAt.address)) {
    // Run pods dial the gateway by a Service name the API's certificate does not cover and
    // trust no private CA: that hop stays http, inside the cluster (docs/server.md, TLS).
    log(
      `TLS covers the API and previews; the LLM gateway on ${gatewayAt.address}:${gatewayAt.port} speaks plain http to the sandboxes that reach it`,
    );
  }
  const metrics = new ServerMetrics();
  const shutdown = new AbortController();
  const signer = new PreviewSigner(engine.keys.preview);
  const authenticator = authenticatorFor(config, engine);
  // Previews open next to an https UI: same certificate, so `https://` links and `wss:` upgrades.
  const previewServer = await listenPreview(config.previewAddr, tls);
  const previews = new PreviewLinks(signer, boundAddress(previewServer), tls?.cert);
  const deps: ServerDeps = {
    engine,
    config,
    metrics,
    log,
    shutdown: shutdown.signal,
    previews,
    keyConnections: new KeyConnections(),
    sandboxConnections: new SandboxConnections(),
    downloadLinks: {
      signer: new DownloadLinkSigner(engine.keys.preview),
      confirm: (principal) => authenticator.confirm(principal),
    },
  };
  // The server's own informers (the controller's may run in another process): what a run's
  // token opened ends with its run, unsharing ends what the user opened, finished runs count.
  const runs = new Informer(engine.store, 'Run', { log });
  const sandboxes = new Informer(engine.store, 'Sandbox', { log });
  deps.keyConnections.followRuns(runs);
  deps.sandboxConnections.follow(sandboxes);
  countRunOutcomes(runs, metrics.runsFinished);
  const pipeline: Pipeline = {
    deps,
    authenticator,
    limiter: new RateLimiter({ ratePerSec: config.rateLimitPerSec, burst: config.rateLimitBurst }),
    relay: new RelayKey(),
  };
  const closePreviews = servePreviews(previewServer, {
    deps,
    signer,
    limiter: pipeline.limiter,
    confirm: (principal) => pipeline.authenticator.confirm(principal),
  });
  const inFlight = new Set<Promise<void>>();
  // The UI's SSO sign-in reads the provider's discovery document and calls its token endpoint.
  const oidcOrigins =
    config.oidcClientId === undefined || config.oidcIssuer === undefined
      ? []
      : [new URL(config.oidcIssuer).origin];
  const keyUses = new KeyUseSampler();
  const webUi = createWebUi(config.webDir, oidcOrigins);
  const e2b = createE2bSurface({
    deps,
    services: { tokens: new AccessTokens(engine.keys.e2b) },
    admit: (ctx, authorization) => admit(pipeline, ctx, authorization),
    keyUses,
  });
  // With TLS, the MCP surface's tools reach this server's REST API over its own certificate.
  const self = tls === undefined ? undefined : createSelfFetch(tls.cert);
  const mcp = createMcpSurface({
    deps,
    admit: (ctx, auth) => admit(pipeline, ctx, auth),
    relayHeaders: pipeline.relay.headers(),
    ...(self === undefined ? {} : { selfFetch: self.fetch }),
  });
  const kube = createKubeSurface({
    deps,
    admit: (ctx, auth) => admit(pipeline, ctx, auth),
    keyUses,
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const ctx = createRequestContext(req);
    if (isE2bRequest(ctx.url)) return e2b(ctx, req, res);
    if (isMcpRequest(ctx.url)) return mcp(ctx, req, res);
    if (isKubeRequest(ctx.url)) return kube(ctx, req, res);
    if (webUi(req, res, ctx.url.pathname)) return;
    let outcome: Outcome;
    try {
      outcome = await serve(pipeline, ctx, req, res);
    } catch (error) {
      outcome = { error: toPaddockError(error, ctx.requestId, log) };
    }
    const status =
      'reply' in outcome
        ? outcome.reply.status
        : (outcome.status ?? httpStatusFor(outcome.error.code));
    metrics.httpRequests.inc({
      route: ctx.route?.path ?? 'unmatched',
      method: ctx.route?.method ?? 'other',
      status: String(status),
    });
    // The audit record is durable before the client hears the answer (streams: after they end).
    const record = auditRecordFor(
      ctx,
      status,
      'error' in outcome ? outcome.error : undefined,
      (keyId) => keyUses.isDue(keyId, Date.now()),
    );
    await appendAudit(engine.auditLog, record, log);
    if ('reply' in outcome) sendReply(res, outcome.reply, ctx.requestId);
    else {
      sendError(res, outcome.error, ctx.requestId, {
        status,
        req,
        ...(outcome.headers === undefined ? {} : { headers: outcome.headers }),
      });
    }
  };
  // Only WebSocket upgrades leave the request pipeline (an `Upgrade: h2c` is a plain request).
  const shouldUpgradeCallback = (req: IncomingMessage) =>
    req.headers.upgrade?.toLowerCase() === 'websocket';
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const done = handle(req, res).finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  const server =
    tls === undefined
      ? createServer({ shouldUpgradeCallback }, listener)
      : createHttpsServer({ shouldUpgradeCallback, ...tls }, listener);
  const scheme = tls === undefined ? 'http' : 'https';
  const upgrades = createUpgradeHandler(deps, (ctx, authorization) =>
    admit(pipeline, ctx, authorization),
  );
  server.on('upgrade', upgrades.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.addr.port, config.addr.host, () => resolve());
  }).catch(async (error: unknown) => {
    await closePreviews();
    await self?.close();
    throw error;
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  mountRunMcp(pipeline, `${scheme}://${dialHost(address)}:${port}`, self?.fetch);
  const close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    shutdown.abort();
    await Promise.all([runs.stop(), sandboxes.stop()]);
    await upgrades.close();
    await closePreviews();
    server.closeIdleConnections();
    await Promise.allSettled([...inFlight]);
    server.closeAllConnections();
    await closed;
    await self?.close();
  };
  // Started once the listener is bound, so a failed start leaves no watch behind; nor a
  // listener: a first list failing closes everything started (once both starts are settled).
  const started = await Promise.allSettled([runs.start(), sandboxes.start()]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await close();
    throw failed.reason;
  }
  return { url: `${scheme}://${host}:${port}`, previewUrl: previews.origin, metrics, close };
}
