import { ErrorCode, PaddockError, parseInput } from '@paddock/core';
import { z } from 'zod';

/** Where a token comes from: a fixed string, or a function asked before every request. */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

/** How a stream reconnects after a dropped connection: exponential backoff, bounded. */
export type ReconnectPolicy = {
  /** First wait after a drop (a server `retry:` field replaces it); default 500. */
  initialDelayMs: number;
  /** Ceiling of the doubling wait; default 10 000. */
  maxDelayMs: number;
  /** Consecutive failed reconnects before the stream fails with the last error; default 8. */
  maxAttempts: number;
};

export type ClientOptions = {
  /** The server's origin (`http://127.0.0.1:7420`); a path prefix is kept. */
  baseUrl: string | URL;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: TokenSource;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Sent with every request. */
  headers?: Readonly<Record<string, string>>;
  /** Time limit of one request until its body is read (streams: until headers); default 30 000. */
  timeoutMs?: number;
  /** Namespace of the convenience methods when a call names none; default `default`. */
  namespace?: string;
  reconnect?: Partial<ReconnectPolicy>;
};

export type ResolvedOptions = {
  baseUrl: URL;
  token: TokenSource | undefined;
  fetch: typeof fetch;
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  namespace: string;
  reconnect: ReconnectPolicy;
};

const positiveMs = z.number().int().positive();
const OptionsSchema = z.object({
  baseUrl: z.union([z.string(), z.instanceof(URL)]).transform((value, ctx) => {
    const url = URL.canParse(String(value)) ? new URL(String(value)) : undefined;
    if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return url;
    ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
    return z.NEVER;
  }),
  timeoutMs: positiveMs.default(30_000),
  namespace: z.string().min(1).default('default'),
  headers: z.record(z.string(), z.string()).default({}),
  reconnect: z
    .object({
      initialDelayMs: positiveMs.default(500),
      maxDelayMs: positiveMs.default(10_000),
      maxAttempts: z.number().int().min(0).default(8),
    })
    .prefault({}),
});

/** Checks the options once, listing every problem (`validation_failed`), and fills defaults. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const parsed = parseInput(OptionsSchema, options, 'client options');
  // Browsers refuse a `fetch` called with another `this` ("Illegal invocation"): bind it.
  const fetchImpl =
    options.fetch ??
    (typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : undefined);
  if (typeof fetchImpl !== 'function') {
    throw new PaddockError(ErrorCode.ValidationFailed, 'no fetch: pass options.fetch');
  }
  return { ...parsed, token: options.token, fetch: fetchImpl };
}
