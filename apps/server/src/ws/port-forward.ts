import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '@paddock/control';
import { readySandbox, usableSandbox } from '@paddock/control';
import { ErrorCode, PaddockError } from '@paddock/core';
import { createWebSocketStream, type WebSocketServer } from 'ws';
import type { RequestContext } from '../http/request-context.ts';
import { portSocket } from '../preview/port-socket.ts';
import type { ServerDeps } from '../server-deps.ts';
import { upgradeToWebSocket } from './upgrade-socket.ts';

/** The audit action of a port forward (one record per connection). */
export const PORT_FORWARD_ACTION = 'port.forward';

/** `/ws/port-forward/{namespace}/{name}/{port}`. */
const PORT_FORWARD_PATH = /^\/ws\/port-forward\/([^/]+)\/([^/]+)\/([^/]+)$/;

export type PortForwardParams = { namespace: string; name: string; port: number };

/** The parameters of a port-forward path; a port that is not 1-65535 is `not_found`. */
export function matchPortForwardPath(pathname: string): PortForwardParams | undefined {
  const m = PORT_FORWARD_PATH.exec(pathname);
  if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  let namespace: string;
  let name: string;
  try {
    namespace = decodeURIComponent(m[1]);
    name = decodeURIComponent(m[2]);
  } catch {
    return undefined;
  }
  const port = /^\d{1,5}$/.test(m[3]) ? Number(m[3]) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new PaddockError(ErrorCode.NotFound, `no port ${m[3]}: ports are 1-65535`);
  }
  return { namespace, name, port };
}

export type PortForwardCall = {
  ctx: RequestContext;
  principal: Principal;
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  deps: ServerDeps;
  wss: WebSocketServer;
  /** Connections in progress, so shutdown can end them. */
  open: Set<Duplex>;
};

/**
 * Forwards one WebSocket to a TCP port of a sandbox: binary frames are the bytes, both ways.
 * Refused before the upgrade, with the error envelope: invisible sandbox (404), a port its
 * template does not declare (404, any protocol), not Running (409), nothing listening. When
 * either side ends, both are closed (a WebSocket has no half-close). Returns the audited status.
 */
export async function servePortForward(
  call: PortForwardCall,
  params: PortForwardParams,
): Promise<number> {
  const { ctx, deps } = call;
  ctx.audit.action = PORT_FORWARD_ACTION;
  ctx.audit.target = { kind: 'Sandbox', namespace: params.namespace, name: params.name };
  ctx.audit.details = { port: params.port };
  const sandbox = await usableSandbox(deps.engine.store, call.principal, params);
  const declared = (sandbox.status?.resolved?.ports ?? []).map((p) => p.port);
  if (!declared.includes(params.port)) {
    throw new PaddockError(
      ErrorCode.NotFound,
      `port ${params.port} is not a port of sandbox ${params.namespace}/${params.name}; its template declares ${declared.join(', ') || 'none'}`,
      { port: params.port, ports: declared },
    );
  }
  const { ref } = await readySandbox(deps.engine.store, call.principal, params);
  const upstream = portSocket(await deps.engine.runtime.connectPort(ref, params.port));
  const ws = await upgradeToWebSocket(call.wss, call.req, call.socket, call.head);
  if (ws === undefined) {
    upstream.destroy();
    return 400;
  }
  call.open.add(call.socket);
  const stream = createWebSocketStream(ws);
  const end = () => {
    call.open.delete(call.socket);
    upstream.destroy();
    if (ws.readyState === ws.OPEN) ws.close(1000, 'port closed');
    else ws.terminate();
  };
  stream.on('error', end).once('close', end);
  upstream.on('error', end).once('close', end).once('end', end);
  stream.pipe(upstream);
  upstream.pipe(stream);
  return 101;
}
