import type { ServerResponse } from 'node:http';
import { sendJson } from '@paddock/http';

/** What a handler answers. `streamed` means it wrote the response itself (SSE, NDJSON, bytes). */
export type Reply =
  | { type: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { type: 'empty'; status: number }
  | { type: 'streamed'; status: number };

export const json = (body: unknown, status = 200): Reply => ({ type: 'json', status, body });
export const empty = (status = 204): Reply => ({ type: 'empty', status });
export const streamed = (status = 200): Reply => ({ type: 'streamed', status });

export function sendReply(res: ServerResponse, reply: Reply, requestId: string): void {
  if (reply.type === 'streamed') return;
  if (reply.type === 'empty') {
    res.writeHead(reply.status, { 'x-request-id': requestId });
    res.end();
    return;
  }
  sendJson(res, reply.status, reply.body, {
    headers: { ...reply.headers, 'x-request-id': requestId, 'cache-control': 'no-store' },
  });
}
