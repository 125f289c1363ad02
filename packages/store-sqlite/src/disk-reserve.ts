import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { diskFullError, parseInput, type StorageReserve } from '@paddock/core';
import { z } from 'zod';

const MIB = 1024 * 1024;
/**
 * With less than this free, the disk counts as full: `makeRoom` releases the reserve, and an
 * I/O error from SQLite is taken for a full disk (see `toPaddockError`).
 */
export const FULL_BELOW_BYTES = MIB;

/** The reserve file of the database at `databasePath`: `paddock.db-reserve` beside `paddock.db`. */
export function reservePathFor(databasePath: string): string {
  return `${databasePath}-reserve`;
}

/** Free bytes on the filesystem holding `dir`, as an unprivileged writer (a sandbox) sees them. */
export function freeBytesAt(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/**
 * Deletes the reserve file beside `databasePath`, handing its space to the write that needs it;
 * whether there was one. Any connection to the database may do this (see `Connection`).
 */
export function releaseReserve(databasePath: string): boolean {
  if (databasePath === ':memory:') return false;
  try {
    unlinkSync(reservePathFor(databasePath));
    return true;
  } catch {
    return false;
  }
}

function isNoSpace(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Options of `openDiskReserve`, validated once (`validation_failed` listing every problem). */
export const DiskReserveOptions = z.strictObject({
  /** The database the reserve serves; the file is `<databasePath>-reserve`. */
  databasePath: z.string().min(1),
  /** How much space to hold back, in bytes (16 MiB by default). */
  sizeBytes: z
    .int()
    .min(MIB)
    .default(16 * MIB),
});
export type DiskReserveOptions = z.input<typeof DiskReserveOptions>;

/**
 * The StorageReserve of a local data directory: a file of `sizeBytes` (random bytes, so a
 * compressing filesystem allocates it for real) beside the database. A store write that fails for
 * lack of space deletes it and tries again; `makeRoom` deletes it before a runtime write that must
 * succeed; `checkRoom` refuses new data while the disk has less free than the reserve and sets
 * the reserve aside again once the disk has room for it twice over.
 */
export class DiskReserve implements StorageReserve {
  /** The reserve file. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly #databasePath: string;
  readonly #dir: string;

  constructor(options: DiskReserveOptions) {
    const resolved = parseInput(DiskReserveOptions, options, 'disk reserve options');
    this.#databasePath = resolved.databasePath;
    this.#dir = dirname(resolved.databasePath);
    this.path = reservePathFor(resolved.databasePath);
    this.sizeBytes = resolved.sizeBytes;
  }

  /** Whether the reserve is set aside now. */
  get isHeld(): boolean {
    try {
      return statSync(this.path).size === this.sizeBytes;
    } catch {
      return false;
    }
  }

  /** Free bytes on the data disk now. */
  freeBytes(): number {
    return freeBytesAt(this.#dir);
  }

  /** Sets the reserve aside if it is not and the disk has room for it twice over; `isHeld`. */
  restore(): boolean {
    if (this.isHeld) return true;
    if (this.freeBytes() < 2 * this.sizeBytes) return false;
    const temp = `${this.path}.tmp`;
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        const chunk = randomBytes(MIB);
        for (let done = 0; done < this.sizeBytes; done += chunk.length) {
          writeSync(fd, chunk, 0, Math.min(chunk.length, this.sizeBytes - done));
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.path);
      return true;
    } catch (error) {
      rmSync(temp, { force: true });
      if (isNoSpace(error)) return false;
      throw error;
    }
  }

  checkRoom(what: string): void {
    const isHeld = this.restore();
    const freeBytes = this.freeBytes();
    if (isHeld && freeBytes >= this.sizeBytes) return;
    throw diskFullError(what, { freeBytes, reserveBytes: this.sizeBytes });
  }

  makeRoom(): void {
    if (this.freeBytes() < FULL_BELOW_BYTES) releaseReserve(this.#databasePath);
  }
}

/** The reserve of the database at `options.databasePath`, set aside now when the disk has room. */
export function openDiskReserve(options: DiskReserveOptions): DiskReserve {
  const reserve = new DiskReserve(options);
  reserve.restore();
  return reserve;
}
