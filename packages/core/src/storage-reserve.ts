import { ErrorCode, type ErrorDetails, PaddockError } from './errors.ts';

/**
 * Space held back on the data disk, which sandbox workspaces share with the store, so that the
 * writes that free space (a delete, a stop, an exec's bookkeeping, their audit records) still
 * succeed when a sandbox has filled it. Implemented by the local store (a reserve file beside
 * the database); the composition root hands the same one to the local runtime.
 */
export interface StorageReserve {
  /**
   * Before a write that adds data (a new object, a new sandbox, a file upload): throws
   * `insufficient_storage` when the disk has less free space than the reserve, or the reserve is
   * spent and cannot be set aside again yet. Sets it aside again once space is back.
   */
  checkRoom(what: string): void;
  /** Before a write that must succeed on a full disk: releases the reserve if the disk is full. */
  makeRoom(): void;
}

/** The `insufficient_storage` error of `what` (`create Sandbox default/box`, `upload /workspace`). */
export function diskFullError(
  what: string,
  details: ErrorDetails = {},
  options?: ErrorOptions,
): PaddockError {
  return new PaddockError(
    ErrorCode.InsufficientStorage,
    `${what}: the data disk is full; free space (delete a sandbox, or files inside one) and retry`,
    details,
    options,
  );
}
