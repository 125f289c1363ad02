// Test fixture (not exported): a stand-in Paddock server on 127.0.0.1:0 that routes with the
// api's real route table and answers errors with the real envelope and status table.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpStatusFor, matchRoute, toEnvelope } from '@paddock/api';
import { API_VERSION, type PaddockError } from '@paddock/core';
import { readBody } from '@paddock/http';

export type Recorded = {
  method: string;
  url: URL;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: Buffer;
};

export type Handler = (request: Recorded, response: ServerResponse) => void | Promise<void>;

export type StandIn = {
  baseUrl: string;
  requests: Recorded[];
  close(): Promise<void>;
};

/** Starts a server answering each operationId with its handler; unknown routes get 404. */
export async function startStandIn(handlers: Record<string, Handler>): Promise<StandIn> {
  const requests: Recorded[] = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req, 64 * 1024 * 1024);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const { match } = matchRoute(req.method ?? 'GET', url.pathname);
    const handler = match && handlers[match.route.operationId];
    const recorded = {
      method: req.method ?? 'GET',
      url,
      params: match?.params ?? {},
      headers: req.headers,
      body,
    };
    requests.push(recorded);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: 'not_found', message: 'no route', details: {}, requestId: 'r0' },
        }),
      );
      return;
    }
    await handler(recorded, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Answers as the real server's error handler does: envelope, status table, x-request-id. */
export function sendError(res: ServerResponse, error: PaddockError, requestId = 'req-1'): void {
  res.writeHead(httpStatusFor(error.code), {
    'content-type': 'application/json',
    'x-request-id': requestId,
  });
  res.end(JSON.stringify(toEnvelope(error, requestId)));
}

/** A valid Sandbox as the server would return it. */
export function sandbox(name: string, resourceVersion = '1', phase = 'Running') {
  return {
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion,
      generation: 1,
      creationTimestamp: '2025-01-01T00:00:00Z',
    },
    spec: { templateRef: { name: 'base' }, desiredState: 'Running' },
    status: { phase, conditions: [] },
  };
}
