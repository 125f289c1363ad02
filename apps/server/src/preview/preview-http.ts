import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import { AuditAction, ErrorCode, PaddockError } from '@paddock/core';
import { type Reply, streamed } from '../http/respond.ts';
import type { HandlerCall } from '../server-deps.ts';
import { portSocket } from './port-socket.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './preview-headers.ts';
import type { PreviewPath } from './preview-path.ts';
import { resolvePreviewTarget } from './preview-target.ts';

function headerObject(pairs: [string, string][]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const seen = out[key];
    out[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return out;
}

/**
 * Proxies one HTTP request to a declared port of a sandbox, over the runtime's port stream (one
 * connection per request, `Connection: close`). Bodies stream both ways. The audit record
 * (`preview`, one per request) carries the port and the upstream status.
 */
export async function proxyPreviewHttp(call: HandlerCall, path: PreviewPath): Promise<Reply> {
  const { ctx, req, res, deps } = call;
  ctx.audit.action = AuditAction.Preview;
  ctx.audit.target = { kind: 'Sandbox', namespace: path.namespace, name: path.name };
  ctx.audit.details = { port: path.port };
  const ref = await resolvePreviewTarget(deps.engine, call.principal, path);
  if (path.isBare) {
    req.resume();
    const search = path.upstreamPath.slice(1);
    res.writeHead(308, { location: `${path.prefix}/${search}`, 'x-request-id': ctx.requestId });
    res.end();
    return streamed(308);
  }
  const stream = await deps.engine.runtime.connectPort(ref, path.port);
  const socket = portSocket(stream);
  const upstream = request({
    method: ctx.method,
    path: path.upstreamPath,
    headers: headerObject(
      upstreamRequestHeaders(req.rawHeaders, {
        port: path.port,
        prefix: path.prefix,
        isUpgrade: false,
        remoteAddress: ctx.remoteAddress,
        isSecure: deps.previews.isSecure,
      }),
    ),
    createConnection: () => socket,
  });
  const status = await relay(req, res, upstream, ctx.requestId);
  socket.destroy();
  ctx.audit.details = { port: path.port, upstreamStatus: status };
  return streamed(status);
}

/** Streams the request body up and the response down; resolves with the upstream status. */
function relay(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: ReturnType<typeof request>,
  requestId: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    res.once('close', () => upstream.destroy());
    upstream.once('error', (error) => {
      if (res.headersSent) {
        res.destroy();
        resolve(res.statusCode);
        return;
      }
      reject(
        new PaddockError(
          ErrorCode.RuntimeUnavailable,
          `the app on the preview port closed the connection without answering: ${error.message}`,
        ),
      );
    });
    upstream.once('response', (answer) => {
      const status = answer.statusCode ?? 502;
      res.writeHead(status, {
        ...downstreamResponseHeaders(answer.headers),
        'x-request-id': requestId,
      });
      answer.pipe(res);
      answer.once('error', () => res.destroy());
      res.once('close', () => resolve(status));
    });
    req.pipe(upstream);
  });
}
