import {
  COMMON_FILE_SCRIPTS,
  ErrorCode,
  fileFailure as exitFailure,
  FileExit,
  fileGuards,
  PaddockError,
} from '@paddock/core';

/**
 * What every file operation starts with: `fileGuards` (see there) after a check that the image
 * has GNU coreutils (`realpath -m`, `stat -c`, `mv -T`, `dd iflag=nonblock`); tar is needed for
 * archives.
 */
function prelude(roots: readonly string[]): string {
  return `umask 022
realpath -m / >/dev/null 2>&1 || { echo "the files API needs GNU coreutils (realpath -m) in the image" >&2; exit ${FileExit.Unsupported}; }
${fileGuards(roots)}`;
}

/** Prints the count, the names (each ended by NUL), then `stat -c '%f %s %Y'` of each, a line each. */
const STAT = `printf '%s\\n' "$#"; [ "$#" -eq 0 ] && exit 0; printf '%s\\0' "$@"; exec stat -c '%f %s %Y' -- "$@"`;

const { WrongType, BadArchive } = FileExit;

const SCRIPTS = {
  ...COMMON_FILE_SCRIPTS,
  list: `follow "$1"; exists "$1"; isdir "$1"; cd -- "$1" || exit ${WrongType}
    set --; for f in * .[!.]* ..?*; do if [ -e "$f" ] || [ -L "$f" ]; then set -- "$@" "$f"; fi; done
    ${STAT}`,
  stat: `nofollow "$1"; exists "$1"; set -- "$1"; ${STAT}`,
  upload: `follow "$1"; mkdir -p -- "$1" || exit ${WrongType}; isdir "$1"
    tar -x -o -f - -C "$1" || exit ${BadArchive}`,
} as const;

export type FileOperation = keyof typeof SCRIPTS;

/** The argv of `op` on `args`, confined to `roots`. */
export function fileCommand(op: FileOperation, roots: readonly string[], args: string[]): string[] {
  return ['/bin/sh', '-c', `${prelude(roots)}\n${SCRIPTS[op]}`, `paddock-${op}`, ...args];
}

/** An operation's exit code as the error of the files contract (a full disk recognised first). */
export function fileFailure(
  op: FileOperation,
  path: string,
  exitCode: number | null,
  stderr: string,
): PaddockError {
  if (/No space left on device|Disk quota exceeded/.test(stderr)) {
    const message = stderr.trim().split('\n').pop() || `${op} ${path} failed`;
    return new PaddockError(ErrorCode.InsufficientStorage, `${op} ${path}: ${message}`, { path });
  }
  return exitFailure(op, path, exitCode, stderr);
}
