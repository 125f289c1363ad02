/**
 * Paddock as an MCP server over streamable HTTP at `/mcp` (stateful: one session per client,
 * named by `Mcp-Session-Id`). Each request is authenticated and rate limited like the REST API's
 * (once: the REST calls a tool makes for it are not charged again, see mcp-relay.ts);
 * a session belongs to the caller that opened it. Its tools call the REST API of this same server
 * through `@paddock/client` with the caller's own credentials, so every rule and every audit
 * record is the API's: this file only authenticates, keeps sessions and relays. A scoped caller
 * (a run's token, also served on the gateway's listener for sandboxes) gets the read-only tools.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createClient } from '@paddock/client';
import { isLoopbackAddress, type Principal, PrincipalVia } from '@paddock/control';
import { ErrorCode, PaddockError } from '@paddock/core';
import { createPaddockMcpServer } from '@paddock/mcp';
import { appendAudit, auditRecordFor } from '../http/audit.ts';
import { sendError, toPaddockError } from '../http/errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { ServerDeps } from '../server-deps.ts';
import type { Admit } from '../ws/upgrade.ts';
import { MCP_IDLE_TIMEOUT_MS, type McpSessionEntry, McpSessions } from './mcp-sessions.ts';

export const MCP_PATH = '/mcp';

export function isMcpRequest(url: URL): boolean {
  return url.pathname === MCP_PATH;
}

export type McpSurfaceOptions = {
  deps: ServerDeps;
  admit: Admit;
  idleTimeoutMs?: number;
  /**
   * The REST API's URL, when requests arrive on another listener (the gateway's); by default
   * the address and port each request came in on.
   */
  apiUrl?: () => string;
  /**
   * Admits run tokens only (the gateway's listener, which sandboxes reach: a sandbox's egress
   * comes from this machine, so its credential-less request must not pass as the dev-mode
   * anonymous admin, and a user's key has no business there).
   */
  isRunTokenOnly?: boolean;
  /** The `fetch` of its calls to the REST API: one that trusts this server's own certificate. */
  selfFetch?: typeof fetch;
  /**
   * Sent with its calls to the REST API (mcp-relay.ts): the `/mcp` request they relay was
   * charged against the rate limit, so they are not.
   */
  relayHeaders?: Record<string, string>;
};

type Session = McpSessionEntry & {
  /** The bearer token of the caller's latest request (an OIDC token is refreshed). */
  token: string | undefined;
  transport: StreamableHTTPServerTransport;
};

const SESSION_HEADER = 'mcp-session-id';
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** This server as its own client sees it: the scheme, address and port the request came in on. */
function selfUrl(req: IncomingMessage): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') ? `[${address}]` : address;
  const scheme = 'encrypted' in req.socket && req.socket.encrypted === true ? 'https' : 'http';
  return `${scheme}://${host}:${req.socket.localPort}`;
}

/**
 * A browser page reaching a loopback server through a rebound DNS name would act as the
 * anonymous admin: credential-less requests from a page of any other origin are refused.
 */
function isForeignAnonymous(principal: Principal, req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (principal.via !== PrincipalVia.Anonymous || origin === undefined) return false;
  const host = URL.canParse(origin) ? new URL(origin).hostname.replace(/^\[|\]$/g, '') : '';
  return !(host === 'localhost' || (host !== '' && isLoopbackAddress(host)));
}

/** Serves `/mcp`; sessions end on DELETE, after the idle timeout, and at server shutdown. */
export function createMcpSurface(options: McpSurfaceOptions) {
  const { deps } = options;
  const sessions = new McpSessions<Session>(options.idleTimeoutMs ?? MCP_IDLE_TIMEOUT_MS);
  deps.shutdown.addEventListener('abort', () => void sessions.closeAll(), { once: true });

  const refuse = async (
    ctx: RequestContext,
    req: IncomingMessage,
    res: ServerResponse,
    error: PaddockError,
    headers: Record<string, string> = {},
  ) => {
    req.resume();
    const status = sendError(res, error, ctx.requestId, { req, headers });
    await appendAudit(deps.engine.auditLog, auditRecordFor(ctx, status, error), deps.log);
  };

  /** A new session's server and transport; it joins the table once its initialize is answered. */
  const open = async (principal: Principal, token: string | undefined, req: IncomingMessage) => {
    // A scoped caller (a run's token) gets the read-only tools, its namespace as their default.
    const { scope } = principal;
    const client = createClient({
      baseUrl: options.apiUrl?.() ?? selfUrl(req),
      token: () => session.token,
      ...(options.selfFetch === undefined ? {} : { fetch: options.selfFetch }),
      ...(options.relayHeaders === undefined ? {} : { headers: options.relayHeaders }),
      ...(scope === undefined ? {} : { namespace: scope.namespace }),
    });
    const mcp = createPaddockMcpServer({
      client,
      readOnly: scope !== undefined,
      hasKubernetes: deps.engine.cluster !== undefined,
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // A session opened while the server shuts down ends at once (closeAll has run).
      onsessioninitialized: (id) =>
        deps.shutdown.aborted ? void session.close() : sessions.add(id, session),
      maxRequestBodySize: deps.config.maxBodyBytes,
    });
    const session: Session = {
      principal,
      token,
      transport,
      close: () => mcp.close(),
    };
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await mcp.connect(transport);
    return session;
  };

  const serve = async (ctx: RequestContext, req: IncomingMessage, res: ServerResponse) => {
    // Only refusals are audited here; what a session does is audited by the REST API it calls.
    ctx.audit.action = 'mcp.session';
    let admission: Awaited<ReturnType<Admit>>;
    try {
      admission = await options.admit(ctx, req.headers.authorization);
    } catch (error) {
      return refuse(ctx, req, res, toPaddockError(error, ctx.requestId, deps.log));
    }
    if ('error' in admission) return refuse(ctx, req, res, admission.error, admission.headers);
    const { principal } = admission;
    if (options.isRunTokenOnly && principal.via !== PrincipalVia.RunToken) {
      const error = new PaddockError(
        ErrorCode.Forbidden,
        `${MCP_PATH} on the gateway serves runs only: authenticate with the run's token (PADDOCK_MCP_TOKEN)`,
      );
      return refuse(ctx, req, res, error);
    }
    if (isForeignAnonymous(principal, req)) {
      const error = new PaddockError(
        ErrorCode.Forbidden,
        'anonymous MCP requests are refused from a web page of another origin',
      );
      return refuse(ctx, req, res, error);
    }
    res.once('close', deps.keyConnections.bind(principal, req.socket));
    const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
    const id = req.headers[SESSION_HEADER];
    if (typeof id === 'string') {
      const session = sessions.get(id, principal);
      if (session === undefined) {
        return refuse(ctx, req, res, new PaddockError(ErrorCode.NotFound, `no MCP session ${id}`));
      }
      session.token = token;
      const done = sessions.begin(id);
      res.once('close', done);
      try {
        await session.transport.handleRequest(req, res);
      } finally {
        done();
      }
      return;
    }
    if (ctx.method !== 'POST') {
      const error = new PaddockError(
        ErrorCode.ValidationFailed,
        `${ctx.method} ${MCP_PATH} needs an Mcp-Session-Id header (a session starts with a POST of initialize)`,
      );
      return refuse(ctx, req, res, error);
    }
    const session = await open(principal, token, req);
    await session.transport.handleRequest(req, res);
    // Anything but an initialize (which the transport answered with an error) opens no session.
    if (session.transport.sessionId === undefined) await session.close();
  };

  return async (ctx: RequestContext, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      await serve(ctx, req, res);
    } catch (error) {
      const failure = toPaddockError(error, ctx.requestId, deps.log);
      if (res.headersSent) res.destroy();
      else await refuse(ctx, req, res, failure);
    }
  };
}
