import { type AnyRoute, buildPath, fromEnvelope } from '@paddock/api';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { ResolvedOptions } from './client-options.ts';
import { appendQuery } from './query-string.ts';

/** Per-call options of every request. */
export type RequestOptions = {
  /** Aborting rejects a pending call with the signal's reason and ends a stream quietly. */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
  headers?: Readonly<Record<string, string>>;
};

export type RequestInput = RequestOptions & {
  params?: unknown;
  query?: unknown;
  body?: unknown;
};

/** A 2xx response and its time limit (settle it once the body is read, or streaming began). */
export type Exchange = { response: Response; url: string; deadline: Deadline };

/**
 * Sends one request of `route` and returns the 2xx response. Throws the server's error as a
 * `PaddockError` (from the envelope), `runtime_unavailable` when the server cannot be reached,
 * `timeout` when no answer came in time, and the signal's reason when the caller aborted.
 */
export async function send(
  options: ResolvedOptions,
  route: AnyRoute,
  input: RequestInput,
): Promise<Exchange> {
  const url = requestUrl(options.baseUrl, route, input);
  const headers = new Headers(options.headers);
  for (const [name, value] of Object.entries(input.headers ?? {})) headers.set(name, value);
  const token = typeof options.token === 'function' ? await options.token() : options.token;
  if (token) headers.set('authorization', `Bearer ${token}`);
  const init: RequestInit & { duplex?: 'half' } = { method: route.method, headers };
  if (route.body && input.body !== undefined) {
    if (route.body.type === 'json') {
      headers.set('content-type', route.body.contentType ?? 'application/json');
      init.body = JSON.stringify(input.body);
    } else {
      const body = input.body;
      if (route.body.type === 'binary') headers.set('content-type', route.body.contentType);
      if (body instanceof ReadableStream) {
        init.body = body;
        init.duplex = 'half';
      } else if (body instanceof Uint8Array || typeof body === 'string') {
        init.body = body as Uint8Array<ArrayBuffer> | string;
      } else {
        throw new PaddockError(
          ErrorCode.ValidationFailed,
          `${route.operationId}: body must be bytes`,
        );
      }
    }
  }

  const deadline = new Deadline(input.timeoutMs ?? options.timeoutMs, input.signal);
  init.signal = deadline.signal;
  let response: Response;
  try {
    response = await options.fetch(url, init);
  } catch (error) {
    deadline.settle();
    throw translateFailure(error, options.baseUrl, deadline);
  }
  if (!response.ok) {
    try {
      throw await errorFromResponse(response);
    } catch (error) {
      throw error instanceof PaddockError
        ? error
        : translateFailure(error, options.baseUrl, deadline);
    } finally {
      deadline.settle();
    }
  }
  return { response, url, deadline };
}

/** Reads a body with the exchange's time limit still running; failures become PaddockErrors. */
export async function readBody<T>(
  exchange: Exchange,
  baseUrl: URL,
  read: (response: Response) => Promise<T>,
): Promise<T> {
  try {
    return await read(exchange.response);
  } catch (error) {
    throw translateFailure(error, baseUrl, exchange.deadline);
  } finally {
    exchange.deadline.settle();
  }
}

function requestUrl(baseUrl: URL, route: AnyRoute, input: RequestInput): string {
  const params = (input.params ?? {}) as Record<string, string | number>;
  const url = new URL(baseUrl);
  url.pathname = url.pathname.replace(/\/+$/, '') + buildPath(route.path, params);
  appendQuery(url.searchParams, input.query);
  return url.toString();
}

/** A non-2xx answer as the server meant it: the envelope's code, details and request id. */
async function errorFromResponse(response: Response): Promise<PaddockError> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const error = fromEnvelope(json, response.status);
  const requestId = response.headers.get('x-request-id');
  if (requestId && error.details.requestId === undefined) {
    return new PaddockError(error.code, error.message, { ...error.details, requestId });
  }
  return error;
}

/** The request id the server gave an error (`x-request-id`), when it gave one. */
export function requestIdOf(error: PaddockError): string | undefined {
  const id = error.details.requestId;
  return typeof id === 'string' ? id : undefined;
}

/** A fetch or body-read failure as a PaddockError (or the caller's own abort reason). */
export function translateFailure(
  error: unknown,
  baseUrl: URL,
  deadline: Deadline | undefined,
): unknown {
  if (error instanceof PaddockError && error !== deadline?.timeoutReason) return error;
  if (deadline?.hasTimedOut) {
    return new PaddockError(
      ErrorCode.Timeout,
      `Paddock at ${baseUrl.origin} did not answer within ${deadline.timeoutMs} ms`,
      { timeoutMs: deadline.timeoutMs },
      { cause: error },
    );
  }
  if (deadline?.callerSignal?.aborted) return deadline.callerSignal.reason;
  const reason = error instanceof Error ? causeText(error) : String(error);
  return new PaddockError(
    ErrorCode.RuntimeUnavailable,
    `cannot reach Paddock at ${baseUrl.origin}: ${reason}`,
    { url: baseUrl.origin },
    { cause: error },
  );
}

function causeText(error: Error): string {
  const cause = error.cause;
  if (cause instanceof Error && cause.message) return `${error.message} (${cause.message})`;
  if (typeof cause === 'object' && cause !== null && 'code' in cause) {
    return `${error.message} (${String(cause.code)})`;
  }
  return error.message;
}

/** The caller's signal joined with a time limit that can be lifted once the answer is in. */
export class Deadline {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly callerSignal: AbortSignal | undefined;
  readonly timeoutReason: PaddockError;
  hasTimedOut = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(timeoutMs: number, callerSignal: AbortSignal | undefined) {
    this.timeoutMs = timeoutMs;
    this.callerSignal = callerSignal;
    this.timeoutReason = new PaddockError(ErrorCode.Timeout, `timed out after ${timeoutMs} ms`);
    const controller = new AbortController();
    this.#timer = setTimeout(() => {
      this.hasTimedOut = true;
      controller.abort(this.timeoutReason);
    }, timeoutMs);
    this.signal = callerSignal
      ? AbortSignal.any([controller.signal, callerSignal])
      : controller.signal;
  }

  settle(): void {
    clearTimeout(this.#timer);
  }
}
