import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  httpStatusFor,
  PORT_FORWARD_PROTOCOL,
  TERMINAL_MAX_FRAME_BYTES,
  TERMINAL_PROTOCOL,
} from '@paddock/api';
import { type Principal, RequestChannel, requireInScope } from '@paddock/control';
import { AuditAction, AuditResult, ErrorCode, type ExitStatus, PaddockError } from '@paddock/core';
import { WebSocketServer } from 'ws';
import { appendAudit, auditRecordFor } from '../http/audit.ts';
import { toPaddockError } from '../http/errors.ts';
import { createRequestContext, type RequestContext } from '../http/request-context.ts';
import type { ServerDeps } from '../server-deps.ts';
import { authorizationOf } from './credential.ts';
import { matchPortForwardPath, servePortForward } from './port-forward.ts';
import { refuseUpgrade } from './refuse.ts';
import { matchTerminalPath, serveTerminal } from './terminal.ts';
import { type TerminalSessionInfo, TerminalSessions } from './terminal-sessions.ts';

/** Authentication and rate limiting of the REST pipeline, for a given `Authorization` value. */
export type Admit = (
  ctx: RequestContext,
  authorization: string | undefined,
) => Promise<{ principal: Principal } | { error: PaddockError; headers: Record<string, string> }>;

export type UpgradeHandler = {
  /** The `upgrade` listener of the HTTP server. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends every terminal and port-forward connection (server shutdown). */
  close(): Promise<void>;
};

const TERMINAL_ROUTE = '/ws/terminal/{namespace}/{name}';
const PORT_FORWARD_ROUTE = '/ws/port-forward/{namespace}/{name}/{port}';

/**
 * Serves HTTP upgrades: the terminal (`/ws/terminal/{ns}/{name}`) and port forwards
 * (`/ws/port-forward/{ns}/{name}/{port}`); WebSocket previews are the preview listener's. Both
 * authenticate like REST (the `Authorization` header; for browsers also a `paddock.bearer.<token>`
 * subprotocol or a query parameter) and refuse with the ordinary error envelope before upgrading.
 * Each upgrade attempt gets an audit record (`terminal.open`, `port.forward`, `auth.failure`).
 */
export function createUpgradeHandler(deps: ServerDeps, admit: Admit): UpgradeHandler {
  const audit = (record: Parameters<typeof appendAudit>[1]) =>
    appendAudit(deps.engine.auditLog, record, deps.log);
  const sessions = new TerminalSessions({
    reconnectMs: deps.config.terminalReconnectMs,
    onEnd: (session, end, exit) => void audit(closeRecord(session, end, exit)),
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: TERMINAL_MAX_FRAME_BYTES,
    handleProtocols: (offered) =>
      [TERMINAL_PROTOCOL, PORT_FORWARD_PROTOCOL].find((p) => offered.has(p)) ?? false,
  });
  const forwards = new Set<Duplex>();

  async function route(
    ctx: RequestContext,
    note: { route: string },
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ) {
    const terminal = matchTerminalPath(ctx.url.pathname);
    if (terminal !== undefined) note.route = TERMINAL_ROUTE;
    const forward = terminal === undefined ? matchPortForwardPath(ctx.url.pathname) : undefined;
    if (forward !== undefined) note.route = PORT_FORWARD_ROUTE;
    if (terminal === undefined && forward === undefined)
      throw new PaddockError(ErrorCode.NotFound, `no WebSocket route for ${ctx.url.pathname}`);
    if (req.headers.upgrade?.toLowerCase() !== 'websocket')
      throw new PaddockError(ErrorCode.ValidationFailed, 'only WebSocket upgrades are served');
    const authorization = authorizationOf(req, ctx.url, {
      queryParam: 'token',
      isUpgrade: true,
    });
    const admission = await admit(ctx, authorization);
    if ('error' in admission) return admission;
    requireInScope(admission.principal, {
      channel: RequestChannel.Terminal,
      method: ctx.method,
      namespace: (terminal ?? forward)?.namespace,
    });
    deps.keyConnections.bind(admission.principal, socket);
    const target = terminal ?? forward;
    if (target !== undefined) deps.sandboxConnections.bind(admission.principal, target, socket);
    const call = { ctx, principal: admission.principal, req, socket, head, deps };
    if (terminal !== undefined)
      return { status: await serveTerminal({ ...call, wss, sessions }, terminal) };
    if (forward !== undefined)
      return { status: await servePortForward({ ...call, wss, open: forwards }, forward) };
    throw new PaddockError(ErrorCode.Internal, 'unreachable');
  }

  async function handle(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const ctx = createRequestContext(req);
    const note = { route: 'unmatched' };
    socket.on('error', () => {});
    let status: number;
    let error: PaddockError | undefined;
    try {
      const outcome = await route(ctx, note, req, socket, head);
      if ('error' in outcome) {
        error = outcome.error;
        status = httpStatusFor(error.code);
        refuseUpgrade(socket, error, ctx.requestId, status, outcome.headers);
      } else status = outcome.status;
    } catch (thrown) {
      error = toPaddockError(thrown, ctx.requestId, deps.log);
      status = httpStatusFor(error.code);
      refuseUpgrade(socket, error, ctx.requestId, status);
    }
    deps.metrics.httpRequests.inc({
      route: note.route,
      method: ctx.method,
      status: String(status),
    });
    await audit(auditRecordFor(ctx, status, error));
  }

  return {
    handle: (req, socket, head) => void handle(req, socket, head),
    close: async () => {
      await sessions.closeAll();
      for (const socket of forwards) socket.destroy();
      wss.close();
    },
  };
}

function closeRecord(session: TerminalSessionInfo, end: string, exit: ExitStatus | undefined) {
  return {
    id: crypto.randomUUID(),
    time: new Date().toISOString(),
    requestId: session.requestId,
    actor: session.principalId,
    action: AuditAction.TerminalClose,
    target: { kind: 'Sandbox', namespace: session.target.namespace, name: session.target.name },
    result: AuditResult.Success,
    details: {
      sessionId: session.id,
      reason: end,
      ...(exit === undefined ? {} : { exitCode: exit.exitCode, signal: exit.signal }),
    },
  };
}
