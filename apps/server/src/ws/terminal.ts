import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TerminalQuery } from '@paddock/api';
import type { Principal } from '@paddock/control';
import { readySandbox } from '@paddock/control';
import { AuditAction, parseInput } from '@paddock/core';
import type { WebSocketServer } from 'ws';
import type { RequestContext } from '../http/request-context.ts';
import type { ServerDeps } from '../server-deps.ts';
import { refuseSession, type TerminalSessions } from './terminal-sessions.ts';
import { upgradeToWebSocket } from './upgrade-socket.ts';

/** `/ws/terminal/{namespace}/{name}`. */
const TERMINAL_PATH = /^\/ws\/terminal\/([^/]+)\/([^/]+)$/;

/** `/bin/bash` when the sandbox has it, else `/bin/sh`: decided inside the sandbox. */
export const SHELL_COMMAND = [
  '/bin/sh',
  '-c',
  'if [ -x /bin/bash ]; then exec /bin/bash; fi; exec /bin/sh',
] as const;

export type TerminalParams = { namespace: string; name: string };

export function matchTerminalPath(pathname: string): TerminalParams | undefined {
  const m = TERMINAL_PATH.exec(pathname);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  try {
    return { namespace: decodeURIComponent(m[1]), name: decodeURIComponent(m[2]) };
  } catch {
    return undefined;
  }
}

export type TerminalCall = {
  ctx: RequestContext;
  principal: Principal;
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  deps: ServerDeps;
  wss: WebSocketServer;
  sessions: TerminalSessions;
};

/**
 * Opens (or, with `?session=`, re-attaches to) a terminal. Everything that can be refused is
 * refused before the upgrade, as an HTTP error: bad query (400), invisible sandbox (404), not
 * Running (409), the shell failing to start. An unknown or expired session id is reported after
 * the upgrade (an `error` message, then close code 4404) so browsers can show why.
 * Returns the status the audit record carries.
 */
export async function serveTerminal(call: TerminalCall, params: TerminalParams): Promise<number> {
  const { ctx, deps } = call;
  ctx.audit.action = AuditAction.TerminalOpen;
  ctx.audit.target = { kind: 'Sandbox', namespace: params.namespace, name: params.name };
  const query = parseInput(
    TerminalQuery,
    Object.fromEntries(ctx.url.searchParams),
    'query',
    'query',
  );
  // A sandbox its idle timeout put to sleep wakes for a terminal.
  const { ref } = await readySandbox(deps.engine.store, call.principal, params);
  if (query.session !== undefined) {
    const found = call.sessions.find(query.session, call.principal.id, ref);
    ctx.audit.details = { sessionId: query.session, reattach: true };
    const socket = await upgradeToWebSocket(call.wss, call.req, call.socket, call.head);
    if (socket === undefined) return 400;
    // Not found and not the caller's get the same answer, so ids of others cannot be probed.
    if (found === undefined) {
      refuseSession(socket, query.session);
      return 404;
    }
    call.sessions.attach(found, socket);
    return 101;
  }
  const handle = await deps.engine.runtime.exec(ref, {
    command: query.command ?? [...SHELL_COMMAND],
    tty: true,
    ...(query.cols === undefined ? {} : { cols: query.cols }),
    ...(query.rows === undefined ? {} : { rows: query.rows }),
  });
  const socket = await upgradeToWebSocket(call.wss, call.req, call.socket, call.head);
  if (socket === undefined) {
    await handle.signal('SIGKILL').catch(() => {});
    return 400;
  }
  const session = call.sessions.open(
    { principalId: call.principal.id, target: ref, requestId: ctx.requestId },
    handle,
  );
  ctx.audit.details = { sessionId: session.id };
  call.sessions.attach(session, socket);
  return 101;
}
