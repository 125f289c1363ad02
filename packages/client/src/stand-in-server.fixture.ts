// Test fixture (not exported): a stand-in Paddock server on 127.0.0.1:0 that routes with the
// api's real route table and answers errors with the real envelope and status table.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { httpStatusFor, matchRoute, toEnvelope } from '@paddock/api';
import { API_VERSION, type PaddockError } from '@paddock/core';
import { closeServer, listen, readBody, sendJson } from '@paddock/http';

export { sendJson };

export type Recorded = {
  method: string;
  url: URL;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: Buffer;
};

export type Handler = (request: Recorded, response: ServerResponse) => unknown;

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
      sendJson(res, 404, {
        error: { code: 'not_found', message: 'no route', details: {}, requestId: 'r0' },
      });
      return;
    }
    await handler(recorded, res);
  });
  const baseUrl = await listen(server, 0, '127.0.0.1');
  return { baseUrl, requests, close: () => closeServer(server) };
}

/** Answers as the real server's error handler does: envelope, status table, x-request-id. */
export function sendError(res: ServerResponse, error: PaddockError, requestId = 'req-1'): void {
  const headers = { 'x-request-id': requestId };
  sendJson(res, httpStatusFor(error.code), toEnvelope(error, requestId), { headers });
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
