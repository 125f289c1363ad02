import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, PaddockError } from '@paddock/core';
import { BodyProblem, isBodyProblem, readBody, sendWhole } from '@paddock/http';

/**
 * Headers never forwarded upstream: hop-by-hop headers, the caller's credentials (the run token),
 * what the request computes itself, and `accept-encoding` (the gateway reads the answer to meter
 * it).
 */
const REQUEST_HEADERS_DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'accept-encoding',
  'authorization',
  'x-api-key',
  'api-key',
  'cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
]);

/** Headers of the upstream answer not passed back: hop-by-hop, and those decoding voids. */
const RESPONSE_HEADERS_DROPPED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'trailer',
  'upgrade',
  'content-length',
  'content-encoding',
  'set-cookie',
]);

/** The caller's headers minus those in {@link REQUEST_HEADERS_DROPPED}, plus `extra`. */
export function forwardedRequestHeaders(
  incoming: IncomingHttpHeaders,
  extra: Record<string, string>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || REQUEST_HEADERS_DROPPED.has(name)) continue;
    if (name.startsWith('x-paddock-')) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
  return headers;
}

/** The upstream answer's headers to pass back to the caller. */
export function returnedResponseHeaders(upstream: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || RESPONSE_HEADERS_DROPPED.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** The run token the caller sent: `x-api-key` (Anthropic SDKs) or `Authorization: Bearer`. */
export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey.trim();
  const authorization = headers.authorization;
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/**
 * The request body, at most `maxBytes` (`@paddock/http`'s `readBody`). Throws `payload_too_large`
 * past it; a body cut off by the caller leaving stays a `BodyReadError` (`cut_off`).
 */
export async function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  try {
    return await readBody(req, maxBytes);
  } catch (error) {
    if (!isBodyProblem(error, BodyProblem.TooLarge)) throw error;
    throw new PaddockError(
      ErrorCode.PayloadTooLarge,
      `request body is larger than the gateway's limit of ${maxBytes} bytes`,
      { maxBytes },
    );
  }
}

/** Reads an upstream answer's body whole, as UTF-8 text (its `chunks`, under the idle timeout). */
export async function readText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends a whole answer (a refusal, or a buffered upstream answer) with `@paddock/http`'s
 * `sendWhole`: given `req` whose body is still arriving, it says `Connection: close` and closes
 * once the rest has arrived, so the caller reads it. An answer already under way is cut off.
 */
export function sendAnswer(
  res: ServerResponse,
  answer: { status: number; headers: Record<string, string>; body: string },
  req?: IncomingMessage,
): void {
  if (!sendWhole(res, answer, req === undefined ? {} : { req })) res.destroy();
}
