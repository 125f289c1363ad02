import { posix } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';
import { SANDBOX_HOME, WORKSPACE } from './bwrap-launcher.ts';

/** The directories the files API serves: everything else in the sandbox is off limits. */
export const WRITABLE_ROOTS = [WORKSPACE, '/tmp', SANDBOX_HOME] as const;

export function isWithinRoots(path: string): boolean {
  return WRITABLE_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
}

export function isRoot(path: string): boolean {
  return (WRITABLE_ROOTS as readonly string[]).includes(path);
}

/**
 * The lexical half of the files API's confinement: `path` must be absolute and, once `.` and
 * `..` are resolved, inside a writable root (`/workspace`, `/tmp`, `/home/user`). The other half
 * (symlinks) is checked inside the sandbox. Returns the normalised path.
 */
export function confinePath(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `path must be absolute: ${JSON.stringify(path)}`,
      {
        issues: [{ path: 'path', message: 'must be an absolute path inside the sandbox' }],
      },
    );
  }
  const normal = posix.normalize(path);
  const trimmed = normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
  if (!isWithinRoots(trimmed)) {
    throw new PaddockError(
      ErrorCode.PathOutsideSandbox,
      `${path} is outside the sandbox's writable directories (${WRITABLE_ROOTS.join(', ')})`,
      { path },
    );
  }
  return trimmed;
}
