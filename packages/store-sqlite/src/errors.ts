import { diskFullError, ErrorCode, PaddockError } from '@paddock/core';
import { FULL_BELOW_BYTES } from './disk-reserve.ts';

// Primary SQLite result codes (the low byte of an extended code): https://sqlite.org/rescode.html
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CONSTRAINT = 19;
const SQLITE_NOTADB = 26;

/**
 * What the store was doing, for the message: `create SandboxTemplate team-a/base`; and, asked
 * only for an I/O error, the free bytes on the database's disk.
 */
export type FailureContext = { operation: string; object?: string; freeBytes?: () => number };

function sqliteCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('errcode' in error)) return undefined;
  return typeof error.errcode === 'number' ? error.errcode : undefined;
}

/** Whether an I/O error is a full disk's (an ENOSPC on a sync or a memory map). */
function isDiskFull(context: FailureContext): boolean {
  try {
    return context.freeBytes !== undefined && context.freeBytes() < FULL_BELOW_BYTES;
  } catch {
    return false;
  }
}

function describe(context: FailureContext): string {
  return context.object === undefined
    ? context.operation
    : `${context.operation} ${context.object}`;
}

/**
 * The one place where SQLite failures become Paddock errors. A `PaddockError` passes through
 * unchanged; everything else is mapped by SQLite result code:
 * - busy or locked past `busy_timeout` (another writer holds the file) → `timeout`, retryable;
 * - a unique or primary-key constraint → `already_exists`;
 * - a full disk (SQLITE_FULL, or an I/O error while the disk has next to nothing free) →
 *   `insufficient_storage`;
 * - anything else (corrupt file, read-only, a bug) → `internal`, with the cause attached.
 */
export function toPaddockError(error: unknown, context: FailureContext): PaddockError {
  if (error instanceof PaddockError) return error;
  const code = sqliteCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  const what = describe(context);
  const primary = code === undefined ? undefined : code & 0xff;
  if (primary === SQLITE_FULL || (primary === SQLITE_IOERR && isDiskFull(context))) {
    return diskFullError(what, {}, { cause: error });
  }
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return new PaddockError(
        ErrorCode.Timeout,
        `${what}: the database stayed locked by another writer past the busy timeout`,
        { retryable: true },
        { cause: error },
      );
    case SQLITE_CONSTRAINT:
      return new PaddockError(
        ErrorCode.AlreadyExists,
        `${what}: already exists (${detail})`,
        {},
        { cause: error },
      );
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_READONLY:
      return new PaddockError(
        ErrorCode.Internal,
        `${what}: the database file cannot be used (${detail})`,
        {},
        { cause: error },
      );
    default:
      return new PaddockError(
        ErrorCode.Internal,
        `${what} failed: ${detail}`,
        {},
        { cause: error },
      );
  }
}
