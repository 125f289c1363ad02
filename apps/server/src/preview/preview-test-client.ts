// Test support: requests to the preview origin by its real URLs. `*.preview.localhost` resolves
// to loopback in browsers; here every name is looked up as 127.0.0.1, and paths are sent as
// given (fetch would resolve `..` itself). https URLs trust the process's default CAs.
import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { WebSocket } from 'ws';

export const loopback: LookupFunction = (_host, options, callback) => {
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

export type PreviewAnswer = { status: number; headers: IncomingHttpHeaders; body: string };

/**
 * One HTTP request (https for an `https:` URL, trusting the process's default CAs); `path`
 * replaces the URL's path and query verbatim when given.
 */
export function previewRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; path?: string } = {},
): Promise<PreviewAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : request;
    const req = send(url, {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      lookup: loopback,
    });
    if (options.path !== undefined) req.path = options.path;
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A preview opened like a browser does: the signed URL exchanged for the session cookie. */
export type OpenedPreview = { base: string; cookie: string; setCookie: string };

export async function exchangePreviewUrl(previewUrl: string): Promise<OpenedPreview> {
  const answer = await previewRequest(previewUrl);
  assert.equal(answer.status, 303, answer.body);
  const setCookie = answer.headers['set-cookie']?.[0] ?? '';
  const location = answer.headers.location ?? '';
  assert.doesNotMatch(location, /paddock_preview/);
  const base = new URL(location, previewUrl).toString();
  return { base, cookie: setCookie.split(';')[0] ?? '', setCookie };
}

/** A WebSocket to a preview URL, with the session cookie; resolves open or refused. */
export function previewSocket(url: string, cookie: string, protocols: string[] = []) {
  const ws = new WebSocket(url, protocols, { headers: { cookie }, lookup: loopback });
  const outcome = new Promise<{ status: number }>((resolve) => {
    ws.once('open', () => resolve({ status: 101 }));
    ws.once('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      resolve({ status: res.statusCode ?? 0 });
    });
    ws.once('error', () => resolve({ status: -1 }));
  });
  return { ws, outcome };
}
