import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '@paddock/control';
import { AuditAction } from '@paddock/core';
import type { RequestContext } from '../http/request-context.ts';
import type { ServerDeps } from '../server-deps.ts';
import { portSocket } from './port-socket.ts';
import { upstreamRequestHeaders } from './preview-headers.ts';
import type { PreviewPath } from './preview-path.ts';
import { resolvePreviewTarget } from './preview-target.ts';

export type PreviewUpgradeCall = {
  ctx: RequestContext;
  principal: Principal;
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  deps: ServerDeps;
  /** Connections in progress, so shutdown can end them. */
  open: Set<Duplex>;
};

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

/**
 * Forwards a WebSocket upgrade to a declared port of a sandbox: the handshake is written onto
 * the runtime's port stream (credentials stripped), and from then on bytes are copied both ways
 * unchanged, the app's own `101` included. Refusals (invisible sandbox, undeclared port, not
 * Running, nothing listening) are thrown before anything is written to the client. Resolves
 * with the app's status once its status line has arrived (one `preview` audit record per
 * connection).
 */
export async function proxyPreviewUpgrade(
  call: PreviewUpgradeCall,
  path: PreviewPath,
): Promise<number> {
  const { ctx, req, socket, deps } = call;
  ctx.audit.action = AuditAction.Preview;
  ctx.audit.target = { kind: 'Sandbox', namespace: path.namespace, name: path.name };
  ctx.audit.details = { port: path.port, websocket: true };
  const ref = await resolvePreviewTarget(deps.engine, call.principal, path);
  const upstream = portSocket(await deps.engine.runtime.connectPort(ref, path.port));
  const headers = upstreamRequestHeaders(req.rawHeaders, {
    port: path.port,
    prefix: path.prefix,
    isUpgrade: true,
    remoteAddress: ctx.remoteAddress,
    isSecure: deps.previews.isSecure,
  });
  const head = [
    `${ctx.method} ${path.upstreamPath} HTTP/1.1`,
    ...headers.map(([n, v]) => `${n}: ${v}`),
  ];
  upstream.write(`${head.join('\r\n')}\r\n\r\n`);
  if (call.head.byteLength > 0) upstream.write(call.head);
  call.open.add(socket);
  const status = new Promise<number>((resolve) => {
    let first = '';
    const sniff = (chunk: Buffer) => {
      first += chunk.toString('latin1');
      const m = STATUS_LINE.exec(first);
      if (m?.[1] !== undefined || first.length > 1024 || first.includes('\r\n')) {
        upstream.off('data', sniff);
        resolve(m?.[1] === undefined ? 502 : Number(m[1]));
      }
    };
    upstream.on('data', sniff);
    upstream.once('close', () => resolve(502));
  });
  const end = () => {
    call.open.delete(socket);
    socket.destroy();
    upstream.destroy();
  };
  socket.on('error', end).once('close', end);
  upstream.on('error', end).once('close', end);
  socket.pipe(upstream);
  upstream.pipe(socket);
  return status;
}
