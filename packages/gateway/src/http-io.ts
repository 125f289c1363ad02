import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, PaddockError } from '@paddock/core';

/**
 * Headers never forwarded upstream: hop-by-hop headers, the caller's credentials (the run token),
 * what fetch computes itself, and `accept-encoding` (the gateway reads the answer to meter it).
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

/** Headers of the upstream answer not passed back: hop-by-hop, and those fetch's decoding voids. */
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
): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || REQUEST_HEADERS_DROPPED.has(name)) continue;
    if (name.startsWith('x-paddock-')) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return headers;
}

/** The upstream answer's headers to pass back to the caller. */
export function returnedResponseHeaders(upstream: Headers): Record<string, string> {
  const headers: Record<string, string> = {};
  upstream.forEach((value, name) => {
    if (!RESPONSE_HEADERS_DROPPED.has(name)) headers[name] = value;
  });
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
 * The request body, at most `maxBytes`. Throws `payload_too_large` past it (checked against
 * `content-length` first, then while reading).
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new PaddockError(
      ErrorCode.PayloadTooLarge,
      `request body is larger than the gateway's limit of ${maxBytes} bytes`,
      { maxBytes },
    );
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Writes `chunk`, waiting for `drain` when the socket's buffer is full, so a slow caller slows
 * the upstream read instead of growing memory. Resolves false when the caller went away.
 */
export async function writeWithBackpressure(
  res: ServerResponse,
  chunk: Uint8Array | string,
): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = (isOpen: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(isOpen);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** Sends a whole answer (a refusal, or a buffered upstream answer) unless the caller left. */
export function sendWhole(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string,
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
