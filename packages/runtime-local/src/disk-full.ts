import {
  diskFullError,
  type PaddockError,
  type SandboxFiles,
  type StorageReserve,
} from '@paddock/core';

const NO_SPACE_CODES: ReadonlySet<unknown> = new Set(['ENOSPC', 'EDQUOT']);
/** What coreutils, tar and the shell print inside a sandbox for ENOSPC and EDQUOT. */
const NO_SPACE_MESSAGE = /No space left on device|Disk quota exceeded/;

/**
 * The one place where the local runtime's failures for lack of disk space (ENOSPC or EDQUOT on the
 * host, or those messages from a tool run inside the sandbox) become `insufficient_storage`.
 * Anything else is returned as it is: the server answers unknown failures `internal` and logs them.
 */
export function translateDiskFull(error: unknown, what: string): unknown {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (NO_SPACE_CODES.has(code)) return diskFullError(what, {}, { cause: error });
  return error;
}

/**
 * Runs `fn`, its failures for lack of space turned into `insufficient_storage`. With `reserve`
 * (for an operation that frees space or must work on a full disk: a stop, a destroy, an exec that
 * may `rm`) the reserve is released first if the disk is full, so that the operation's own small
 * writes (sandbox state, a process's environment file) succeed.
 */
export async function guardDiskFull<T>(
  what: string,
  fn: () => Promise<T>,
  reserve?: StorageReserve,
): Promise<T> {
  reserve?.makeRoom();
  try {
    return await fn();
  } catch (error) {
    throw translateDiskFull(error, what);
  }
}

/** A file operation's stderr says the disk was full: its `insufficient_storage` error, else undefined. */
export function diskFullFromStderr(stderr: string, what: string): PaddockError | undefined {
  return NO_SPACE_MESSAGE.test(stderr) ? diskFullError(what) : undefined;
}

/** `files` whose writes (write, mkdir, upload) are refused up front while the disk is full. */
export function roomCheckedFiles(files: SandboxFiles, reserve: StorageReserve): SandboxFiles {
  return {
    ...files,
    write: async (ref, path, data, options) => {
      reserve.checkRoom(`write ${path}`);
      return files.write(ref, path, data, options);
    },
    mkdir: async (ref, path) => {
      reserve.checkRoom(`mkdir ${path}`);
      return files.mkdir(ref, path);
    },
    upload: async (ref, path, tar) => {
      reserve.checkRoom(`upload to ${path}`);
      return files.upload(ref, path, tar);
    },
  };
}
