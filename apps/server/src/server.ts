import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ErrorCode,
  isKind,
  isPaddockError,
  KIND_NAMES,
  KINDS,
  kindJsonSchema,
  PaddockError,
  parseResource,
} from '@paddock/core';
import type { ServerConfig } from './config.ts';
import { httpStatusFor } from './http-status.ts';

const MAX_BODY_BYTES = 1024 * 1024;

export type RunningServer = { url: string; close(): Promise<void> };

type Route = {
  method: string;
  pattern: RegExp;
  handle: (match: RegExpMatchArray, req: IncomingMessage) => unknown;
};

const routes: Route[] = [
  { method: 'GET', pattern: /^\/healthz$/, handle: () => ({ status: 'ok' }) },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/kinds$/,
    handle: () => ({
      items: KIND_NAMES.map((kind) => ({
        kind,
        plural: KINDS[kind].plural,
        scope: KINDS[kind].scope,
      })),
    }),
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/schemas\/([A-Za-z]+)$/,
    handle: ([, kind]) => {
      if (!isKind(kind)) throw new PaddockError(ErrorCode.NotFound, `unknown kind "${kind}"`);
      return kindJsonSchema(kind);
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/v1\/validate$/,
    handle: async (_match, req) => parseResource(await readJson(req)),
  },
];

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new PaddockError(
        ErrorCode.PayloadTooLarge,
        `request body exceeds ${MAX_BODY_BYTES} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (cause) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `request body is not valid JSON: ${(cause as Error).message}`,
    );
  }
}

function send(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
  });
  res.end(text);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
): Promise<void> {
  const requestId = randomUUID();
  try {
    const url = new URL(req.url ?? '/', 'http://paddock.invalid');
    const candidates = routes.filter((r) => r.pattern.test(url.pathname));
    if (candidates.length === 0)
      throw new PaddockError(ErrorCode.NotFound, `no route for ${url.pathname}`);
    const route = candidates.find((r) => r.method === req.method);
    if (!route)
      throw new PaddockError(ErrorCode.NotFound, `${req.method} is not served on ${url.pathname}`);
    const match = url.pathname.match(route.pattern) as RegExpMatchArray;
    send(res, 200, await route.handle(match, req), requestId);
  } catch (error) {
    const known = isPaddockError(error)
      ? error
      : new PaddockError(ErrorCode.Internal, 'internal error');
    if (!isPaddockError(error))
      log(`request ${requestId} failed: ${(error as Error).stack ?? String(error)}`);
    send(res, httpStatusFor(known.code), { error: { ...known.toJSON(), requestId } }, requestId);
  }
}

/** Starts the HTTP listener. Resolves once it is bound; `url` carries the real port when 0 was asked. */
export async function startServer(
  config: ServerConfig,
  log: (line: string) => void,
): Promise<RunningServer> {
  const server = createServer((req, res) => void handle(req, res, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.addr.port, config.addr.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
