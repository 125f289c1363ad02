import { posix } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';

/**
 * The lexical half of the files API's confinement, as the local runtime checks it: `path` must be
 * absolute and, once `.` and `..` are resolved, inside one of `roots`; else `validation_failed`
 * (not absolute) or `path_outside_sandbox`. Symlinks are checked inside the pod (`follow` and
 * `nofollow` in the scripts). Returns the normalised path.
 */
export function confinePath(path: string, roots: readonly string[]): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `path must be absolute: ${JSON.stringify(path)}`,
      { issues: [{ path: 'path', message: 'must be an absolute path inside the sandbox' }] },
    );
  }
  const normal = posix.normalize(path);
  const trimmed = normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
  if (!isWithin(trimmed, roots)) {
    throw new PaddockError(
      ErrorCode.PathOutsideSandbox,
      `${path} is outside the sandbox's writable directories (${roots.join(', ')})`,
      { path },
    );
  }
  return trimmed;
}

export function isWithin(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(`${root}/`));
}

export function isRoot(path: string, roots: readonly string[]): boolean {
  return roots.includes(path);
}
