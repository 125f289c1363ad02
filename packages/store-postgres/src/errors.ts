import { diskFullError, ErrorCode, PaddockError } from '@paddock/core';

/** What the log was doing, for the message: `append run events run-1`. */
export type FailureContext = { operation: string; object?: string };

/** SQLSTATE codes of a transaction that lost a race and may simply run again. */
const RETRYABLE_STATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/** Node's codes for a server that cannot be reached or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Whether the transaction that failed with `error` may be run again as it is. */
export function isRetryable(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && RETRYABLE_STATES.has(code);
}

/**
 * Whether `error` means the connection is unusable (the server is unreachable, went away or is
 * shutting down): such a connection is discarded rather than returned to the pool.
 */
export function isConnectionLost(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && (NETWORK_CODES.has(code) || code.startsWith('08'))) return true;
  if (code === '57P01' || code === '57P02' || code === '57P03') return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    message,
  );
}

function describe(context: FailureContext): string {
  return context.object === undefined
    ? context.operation
    : `${context.operation} ${context.object}`;
}

/**
 * The one place where PostgreSQL failures become Paddock errors. A `PaddockError` passes through
 * unchanged; everything else is mapped by SQLSTATE (or Node's network code):
 * - a unique violation → `already_exists`;
 * - a serialization failure or deadlock still failing after the retries → `timeout`, retryable;
 * - a statement or lock timeout, a cancelled query → `timeout`, retryable;
 * - the server unreachable, gone, starting or shutting down, out of connections →
 *   `runtime_unavailable` (503), retryable;
 * - a full disk → `insufficient_storage`;
 * - text PostgreSQL cannot store (a NUL character, bad UTF-8) → `validation_failed`;
 * - anything else (wrong password, missing database, a bug) → `internal`, cause attached.
 */
export function toPaddockError(error: unknown, context: FailureContext): PaddockError {
  if (error instanceof PaddockError) return error;
  const code = codeOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  const what = describe(context);
  const fail = (errorCode: ErrorCode, message: string, details = {}) =>
    new PaddockError(errorCode, message, details, { cause: error });
  if (code === '23505') return fail(ErrorCode.AlreadyExists, `${what}: already exists (${detail})`);
  if (code !== undefined && RETRYABLE_STATES.has(code)) {
    return fail(ErrorCode.Timeout, `${what}: kept losing to concurrent writers (${detail})`, {
      retryable: true,
    });
  }
  if (code === '57014' || code === '55P03') {
    return fail(ErrorCode.Timeout, `${what}: timed out in the database (${detail})`, {
      retryable: true,
    });
  }
  if (code === '53100') return diskFullError(what, {}, { cause: error });
  if (isConnectionLost(error) || code === '53300' || code === '53000') {
    return fail(ErrorCode.RuntimeUnavailable, `${what}: the database is unavailable (${detail})`, {
      retryable: true,
    });
  }
  if (code === '22021' || code === '22P05') {
    return fail(ErrorCode.ValidationFailed, `${what}: text the database cannot store (${detail})`, {
      issues: [{ path: '', message: 'holds a character the database cannot store' }],
    });
  }
  return fail(ErrorCode.Internal, `${what} failed: ${detail}`);
}
