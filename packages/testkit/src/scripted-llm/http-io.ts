import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '@paddock/http';
import type { JsonAnswer } from './provider-errors.ts';

/**
 * Writes `answer` as JSON (`@paddock/http`'s `sendJson`). With `req` whose body is still arriving
 * (a refusal before reading it), the connection closes once the rest has arrived, so the client
 * reads the answer. An answer already under way is cut off instead.
 */
export function answerJson(req: IncomingMessage, res: ServerResponse, answer: JsonAnswer): void {
  if (!sendJson(res, answer.status, answer.body, { headers: answer.headers, req })) res.destroy();
}

/** Lower-cased header names; repeated headers joined as HTTP allows. */
export function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** True when the request carries `key` as `x-api-key` or as `Authorization: Bearer`. */
export function carriesKey(req: IncomingMessage, key: string): boolean {
  return req.headers['x-api-key'] === key || req.headers.authorization === `Bearer ${key}`;
}
