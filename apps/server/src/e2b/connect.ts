/**
 * The Connect protocol (connectrpc.com/docs/protocol) with JSON, as E2B's in-sandbox API (envd)
 * speaks it: unary calls are a plain JSON POST (`application/json`); server-streaming calls send
 * one enveloped request and get enveloped messages back (`application/connect+json`), the last
 * one flagged end-of-stream and carrying the error, if any. Envelope: one flags byte, a 32-bit
 * big-endian length, the JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { BodyReadError, readBody, writeWithBackpressure } from '@paddock/http';

export const ConnectCode = {
  Canceled: 'canceled',
  Unknown: 'unknown',
  InvalidArgument: 'invalid_argument',
  DeadlineExceeded: 'deadline_exceeded',
  NotFound: 'not_found',
  AlreadyExists: 'already_exists',
  PermissionDenied: 'permission_denied',
  ResourceExhausted: 'resource_exhausted',
  FailedPrecondition: 'failed_precondition',
  Aborted: 'aborted',
  OutOfRange: 'out_of_range',
  Unimplemented: 'unimplemented',
  Internal: 'internal',
  Unavailable: 'unavailable',
  DataLoss: 'data_loss',
  Unauthenticated: 'unauthenticated',
} as const;
export type ConnectCode = (typeof ConnectCode)[keyof typeof ConnectCode];

/** The HTTP status of a unary error, as the protocol maps it. */
const HTTP_STATUS: Record<ConnectCode, number> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
};

/** An error a Connect handler answers with; anything else thrown becomes one (see `toConnectError`). */
export class ConnectError extends Error {
  readonly code: ConnectCode;
  constructor(code: ConnectCode, message: string) {
    super(message);
    this.code = code;
  }
}

const FROM_PADDOCK: Partial<Record<string, ConnectCode>> = {
  [ErrorCode.ValidationFailed]: ConnectCode.InvalidArgument,
  [ErrorCode.NotFound]: ConnectCode.NotFound,
  [ErrorCode.TemplateNotFound]: ConnectCode.NotFound,
  [ErrorCode.Expired]: ConnectCode.NotFound,
  [ErrorCode.SandboxNotFound]: ConnectCode.NotFound,
  [ErrorCode.AlreadyExists]: ConnectCode.AlreadyExists,
  [ErrorCode.Conflict]: ConnectCode.AlreadyExists,
  [ErrorCode.Forbidden]: ConnectCode.PermissionDenied,
  [ErrorCode.PathOutsideSandbox]: ConnectCode.PermissionDenied,
  [ErrorCode.PolicyViolation]: ConnectCode.PermissionDenied,
  [ErrorCode.Unauthenticated]: ConnectCode.Unauthenticated,
  [ErrorCode.InvalidTransition]: ConnectCode.FailedPrecondition,
  [ErrorCode.InsufficientStorage]: ConnectCode.ResourceExhausted,
  [ErrorCode.RateLimited]: ConnectCode.ResourceExhausted,
  [ErrorCode.PayloadTooLarge]: ConnectCode.ResourceExhausted,
  [ErrorCode.Timeout]: ConnectCode.DeadlineExceeded,
  [ErrorCode.RuntimeUnavailable]: ConnectCode.Unavailable,
};

/** Any thrown value as a `ConnectError`: Paddock's codes translated, the unknown kept out of the answer. */
export function toConnectError(error: unknown, log: (line: string) => void): ConnectError {
  if (error instanceof ConnectError) return error;
  if (isPaddockError(error)) {
    const code = FROM_PADDOCK[error.code];
    if (code !== undefined) return new ConnectError(code, error.message);
    if (error.code !== ErrorCode.Internal)
      return new ConnectError(ConnectCode.Unknown, error.message);
  }
  if (error instanceof BodyReadError)
    return new ConnectError(ConnectCode.InvalidArgument, error.message);
  log(
    `envd: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  return new ConnectError(ConnectCode.Internal, 'internal error');
}

const STREAM_CONTENT_TYPE = 'application/connect+json';
const UNARY_CONTENT_TYPE = 'application/json';
const END_STREAM = 0x02;
const COMPRESSED = 0x01;

/** Whether a request is a streaming call (enveloped) rather than a unary one. */
export function isStreamingRequest(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim() === STREAM_CONTENT_TYPE;
}

/**
 * The request message of a call: the JSON body of a unary call, or the one enveloped message of
 * a server-streaming call. `invalid_argument` for a body that is not that.
 */
export async function readConnectRequest(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const body = await readBody(req, maxBytes);
  let json = body;
  if (isStreamingRequest(req)) {
    if (body.length < 5) throw new ConnectError(ConnectCode.InvalidArgument, 'missing envelope');
    const flags = body[0] ?? 0;
    if ((flags & COMPRESSED) !== 0)
      throw new ConnectError(ConnectCode.Unimplemented, 'compressed messages are not supported');
    const length = body.readUInt32BE(1);
    if (body.length < 5 + length)
      throw new ConnectError(ConnectCode.InvalidArgument, 'truncated envelope');
    json = body.subarray(5, 5 + length);
  }
  if (json.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw new ConnectError(ConnectCode.InvalidArgument, 'the request message is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConnectError(
      ConnectCode.InvalidArgument,
      'the request message must be a JSON object',
    );
  return parsed as Record<string, unknown>;
}

/** Answers a unary call. */
export function sendUnary(res: ServerResponse, message: unknown): void {
  const body = Buffer.from(JSON.stringify(message ?? {}));
  res.writeHead(200, {
    'content-type': UNARY_CONTENT_TYPE,
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Answers a unary call with an error (status from the code, body `{code, message}`). */
export function sendUnaryError(res: ServerResponse, error: ConnectError): number {
  const status = HTTP_STATUS[error.code];
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  const body = Buffer.from(JSON.stringify({ code: error.code, message: error.message }));
  res.writeHead(status, {
    'content-type': UNARY_CONTENT_TYPE,
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(body);
  return status;
}

function envelope(flags: number, message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const frame = Buffer.allocUnsafe(5 + json.length);
  frame[0] = flags;
  frame.writeUInt32BE(json.length, 1);
  json.copy(frame, 5);
  return frame;
}

/**
 * The answer of a server-streaming call: `send` each message, then `end` once (with the error
 * that ended it, if any). Headers go out with the first message or the end. `closed` is aborted
 * when the client goes away.
 */
export class ConnectStream {
  readonly #res: ServerResponse;
  #isEnded = false;
  readonly #closed = new AbortController();

  constructor(res: ServerResponse) {
    this.#res = res;
    res.once('close', () => this.#closed.abort());
  }

  /** Aborted when the client has gone (or the stream ended). */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  get isEnded(): boolean {
    return this.#isEnded;
  }

  #start(): void {
    if (this.#res.headersSent) return;
    this.#res.writeHead(200, {
      'content-type': STREAM_CONTENT_TYPE,
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    this.#res.flushHeaders();
  }

  /** Sends one message; waits while the client reads slowly. */
  async send(message: unknown): Promise<void> {
    if (this.#isEnded || this.#res.destroyed) return;
    this.#start();
    await writeWithBackpressure(this.#res, envelope(0, message));
  }

  /** Ends the stream, with the error that ended it. */
  end(error?: ConnectError): void {
    if (this.#isEnded) return;
    this.#isEnded = true;
    if (this.#res.destroyed) return;
    this.#start();
    const trailer =
      error === undefined ? {} : { error: { code: error.code, message: error.message } };
    this.#res.end(envelope(END_STREAM, trailer));
  }
}

/** A message field that must be a string (`invalid_argument` naming it otherwise). */
export function stringField(message: Record<string, unknown>, field: string): string {
  const value = message[field];
  if (typeof value !== 'string')
    throw new ConnectError(ConnectCode.InvalidArgument, `${field} must be a string`);
  return value;
}
