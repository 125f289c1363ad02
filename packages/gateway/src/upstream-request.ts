import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline, type Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import {
  type ResolvedGatewayOptions,
  type UpstreamConfig,
  upstreamUrl,
} from './gateway-options.ts';
import { forwardedRequestHeaders } from './http-io.ts';
import { Provider, type Refusal, refusalOf } from './provider-errors.ts';
import { messageOf } from './relay.ts';
import type { Route } from './routes.ts';
import { chunksWithin, UpstreamWait, upstreamTimeout } from './upstream-timeout.ts';

/** The Anthropic API version sent when the caller named none (curl users often forget it). */
const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

export type UpstreamRequest = {
  options: ResolvedGatewayOptions;
  req: IncomingMessage;
  res: ServerResponse;
  route: Route;
  upstream: UpstreamConfig;
};

/**
 * The upstream's answer: its status, its headers (the provider key already replaced by
 * `[redacted]`), its body (decoded if it came compressed), `chunks`, the body's chunks read
 * under the idle timeout (the iteration throws `timeout` past it), and `redact`, which does the
 * same as for headers to text read from the body: an error may quote the request, key included.
 */
export type UpstreamResponse = {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  chunks: AsyncIterable<Buffer>;
  redact: (text: string) => string;
};

export type Fetched =
  | { response: UpstreamResponse; refusal?: undefined }
  | { refusal: Refusal; isClientGone: boolean };

/**
 * Sends the caller's request upstream with the real key in place of the run token, through
 * `node:http(s)` and its keep-alive agents (a fraction of `fetch`'s cost per call). Aborted when
 * the caller goes away (so a cancelled stream stops costing). Throws `runtime_unavailable` when
 * no key is configured; an unreachable upstream is a 502 refusal, one whose answer does not
 * begin within `upstreamHeadersTimeoutMs` (connection included) a 504 refusal.
 */
export async function fetchUpstream(
  ctx: UpstreamRequest,
  body: Buffer | string | undefined,
): Promise<Fetched> {
  const { route, req, res } = ctx;
  const apiKey = await ctx.upstream.apiKey();
  if (apiKey === undefined || apiKey === '') {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `the gateway has no API key for ${route.provider}; ask an operator to configure one`,
      { provider: route.provider },
    );
  }
  const headers = forwardedRequestHeaders(req.headers, authHeaders(route.provider, apiKey));
  if (route.provider === Provider.Anthropic && !Object.hasOwn(headers, 'anthropic-version')) {
    headers['anthropic-version'] = DEFAULT_ANTHROPIC_VERSION;
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.once('close', onClose);
  // The caller may have left while this call waited for its run's lock.
  if (res.closed || res.destroyed) controller.abort();
  const search = new URL(req.url ?? '/', 'http://gateway.invalid').search;
  try {
    const url = new URL(upstreamUrl(ctx.upstream.baseUrl, route.upstreamPath, search));
    const timeoutMs = ctx.options.upstreamHeadersTimeoutMs;
    const timedOut = () => upstreamTimeout(route.provider, UpstreamWait.Headers, timeoutMs);
    const answer = await send(url, route.method, headers, body, controller.signal, {
      timeoutMs,
      timedOut,
    });
    const redact = (text: string) => redacted(text, apiKey);
    const idleMs = ctx.options.upstreamIdleTimeoutMs;
    return {
      response: {
        ...answer,
        headers: redactedHeaders(answer.headers, redact),
        chunks: chunksWithin(answer.body, idleMs, route.provider),
        redact,
      },
    };
  } catch (error) {
    const isClientGone = controller.signal.aborted;
    if (!isClientGone && isPaddockError(error) && error.code === ErrorCode.Timeout) {
      return { isClientGone, refusal: refusalOf(error) };
    }
    return {
      isClientGone,
      refusal: {
        status: 502,
        type: 'api_error',
        message: `the gateway could not reach the ${route.provider} upstream: ${messageOf(error)}`,
      },
    };
  }
}

/**
 * One request; resolves with the answer once its headers arrive, or fails with `timedOut()`
 * when they have not after `timeoutMs` (the request is destroyed).
 */
function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | string | undefined,
  signal: AbortSignal,
  timeout: { timeoutMs: number; timedOut: () => Error },
): Promise<Omit<UpstreamResponse, 'redact' | 'chunks'>> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = request(url, { method, headers, signal }, (incoming) => {
      clearTimeout(timer);
      resolve({
        status: incoming.statusCode ?? 502,
        headers: incoming.headers,
        body: decoded(incoming),
      });
    });
    const timer = setTimeout(() => outgoing.destroy(timeout.timedOut()), timeout.timeoutMs);
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.end(body);
  });
}

/**
 * The answer's body without its content coding. The gateway asks for none (it drops the caller's
 * `accept-encoding`), but an upstream may compress anyway.
 */
function decoded(incoming: IncomingMessage): Readable {
  const coding = (incoming.headers['content-encoding'] ?? '').trim().toLowerCase();
  let decoder: Transform | undefined;
  if (coding === 'gzip' || coding === 'x-gzip') decoder = createGunzip();
  else if (coding === 'deflate') decoder = createInflate();
  else if (coding === 'br') decoder = createBrotliDecompress();
  if (decoder === undefined) return incoming;
  // A failure on either side destroys both; the reader sees it on the decoder.
  return pipeline(incoming, decoder, () => {});
}

/** The text with every occurrence of the provider key replaced by `[redacted]`. */
function redacted(text: string, apiKey: string): string {
  return text.includes(apiKey) ? text.replaceAll(apiKey, '[redacted]') : text;
}

function redactedHeaders(
  headers: IncomingHttpHeaders,
  redact: (text: string) => string,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(redact) : redact(value);
  }
  return out;
}

function authHeaders(provider: Provider, apiKey: string): Record<string, string> {
  switch (provider) {
    case Provider.Anthropic:
      return { 'x-api-key': apiKey };
    case Provider.OpenAi:
      return { authorization: `Bearer ${apiKey}` };
  }
}
