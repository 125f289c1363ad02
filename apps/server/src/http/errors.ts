import type { ServerResponse } from 'node:http';
import { httpStatusFor, toEnvelope } from '@paddock/api';
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';

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
 * already out (a stream) is just ended.
 */
export function sendError(
  res: ServerResponse,
  error: PaddockError,
  requestId: string,
  options: { status?: number; headers?: Record<string, string> } = {},
): number {
  const status = options.status ?? httpStatusFor(error.code);
  if (res.headersSent) {
    res.end();
    return status;
  }
  const text = JSON.stringify(toEnvelope(error, requestId));
  res.writeHead(status, {
    ...options.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
    'cache-control': 'no-store',
  });
  res.end(text);
  return status;
}
