import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpStatusFor, toEnvelope } from '@paddock/api';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import { sendJson } from '@paddock/http';

/**
 * Any thrown value as a `PaddockError`. Unknown errors become `internal` with a fixed message;
 * their cause goes to the log, never to the client.
 */
export function toPaddockError(
  error: unknown,
  requestId: string,
  log: (line: string) => void,
): PaddockError {
  if (isPaddockError(error)) {
    if (error.code === ErrorCode.Internal && error.cause !== undefined) {
      log(`request ${requestId}: internal error: ${describe(error.cause)}`);
    }
    return error;
  }
  log(`request ${requestId}: unexpected error: ${describe(error)}`);
  return new PaddockError(ErrorCode.Internal, 'internal error', {}, { cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * THE error answer: the envelope, status from `httpStatusFor`. A response whose headers are
 * already out (a stream) is just ended. With `req` whose body is still arriving (a 413, or any
 * answer given before the body was read), the answer says `Connection: close` and the
 * connection closes only once the rest of the body has arrived (`@paddock/http`'s `sendWhole`);
 * a 413 closes it in any case.
 */
export function sendError(
  res: ServerResponse,
  error: PaddockError,
  requestId: string,
  options: { status?: number; headers?: Record<string, string>; req?: IncomingMessage } = {},
): number {
  const status = options.status ?? httpStatusFor(error.code);
  const headers: Record<string, string> = {
    ...options.headers,
    'x-request-id': requestId,
    'cache-control': 'no-store',
  };
  // A body refused as too large was never read: the connection is not reused, whether or not
  // the rest of it happened to arrive before the answer.
  if (error.code === ErrorCode.PayloadTooLarge) headers.connection = 'close';
  const isSent = sendJson(res, status, toEnvelope(error, requestId), {
    headers,
    ...(options.req === undefined ? {} : { req: options.req }),
  });
  if (!isSent) res.end();
  return status;
}
