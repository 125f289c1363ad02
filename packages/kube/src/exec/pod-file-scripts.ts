import { ErrorCode, PaddockError } from '@paddock/core';
import { rootPattern } from './pod-file-paths.ts';

/** Exit codes the scripts say what went wrong with. */
export const FileExit = {
  Outside: 3,
  Missing: 4,
  WrongType: 5,
  BadArchive: 6,
  Unsupported: 7,
} as const;

/**
 * Shell functions every file operation starts with; they need a POSIX shell and GNU coreutils
 * (`realpath -m`, `stat -c`, `mv -T`), and tar for archives. They run in the pod as its user, so
 * a symlink swapped in at the worst moment can reach only what that user may anyway; they keep
 * the API's answers inside the roots.
 * - `follow P`: P with every symlink resolved must stay inside the roots.
 * - `nofollow P`: P's directory resolved, plus its own name, must (P itself may be a link).
 */
function prelude(roots: readonly string[]): string {
  const { Outside, Missing, WrongType, Unsupported } = FileExit;
  return `umask 022
realpath -m / >/dev/null 2>&1 || { echo "the files API needs GNU coreutils (realpath -m) in the image" >&2; exit ${Unsupported}; }
inside() { case "$1" in ${rootPattern(roots)}) return 0;; esac; return 1; }
outside() { echo "$1 resolves to $2, outside the sandbox's writable directories" >&2; exit ${Outside}; }
follow() { r=$(realpath -m -- "$1") || exit ${Outside}; inside "$r" || outside "$1" "$r"; }
nofollow() {
  d=$(realpath -m -- "$(dirname -- "$1")") || exit ${Outside}
  r="\${d%/}/$(basename -- "$1")"; inside "$r" || outside "$1" "$r"
}
exists() { [ -e "$1" ] || [ -L "$1" ] || { echo "$1 does not exist" >&2; exit ${Missing}; }; }
isdir() { [ -d "$1" ] || { echo "$1 is not a directory" >&2; exit ${WrongType}; }; }
notdir() { [ ! -d "$1" ] || { echo "$1 is a directory" >&2; exit ${WrongType}; }; }
`;
}

/** Prints the count, the names (each ended by NUL), then `stat -c '%f %s %Y'` of each, a line each. */
const STAT = `printf '%s\\n' "$#"; [ "$#" -eq 0 ] && exit 0; printf '%s\\0' "$@"; exec stat -c '%f %s %Y' -- "$@"`;

const { WrongType, BadArchive } = FileExit;

const SCRIPTS = {
  read: 'follow "$1"; exists "$1"; notdir "$1"; exec cat -- "$1"',
  write: `follow "$1"; notdir "$1"; mkdir -p -- "$(dirname -- "$1")" && cat > "$1" || exit ${WrongType}
    if [ -n "$2" ]; then chmod "$2" -- "$1"; fi`,
  list: `follow "$1"; exists "$1"; isdir "$1"; cd -- "$1" || exit ${WrongType}
    set --; for f in * .[!.]* ..?*; do if [ -e "$f" ] || [ -L "$f" ]; then set -- "$@" "$f"; fi; done
    ${STAT}`,
  stat: `nofollow "$1"; exists "$1"; set -- "$1"; ${STAT}`,
  mkdir: `follow "$1"; mkdir -p -- "$1" 2>/dev/null || { echo "$1 is not a directory" >&2; exit ${WrongType}; }`,
  move: `nofollow "$1"; nofollow "$2"; exists "$1"; mkdir -p -- "$(dirname -- "$2")"
    mv -T -- "$1" "$2" || exit ${WrongType}`,
  remove: `nofollow "$1"; exists "$1"
    if [ -d "$1" ] && [ ! -L "$1" ]; then
      if [ "$2" = recursive ]; then exec rm -rf -- "$1"; fi
      rmdir -- "$1" 2>/dev/null || { echo "$1 is a directory that is not empty" >&2; exit ${WrongType}; }
    else exec rm -f -- "$1"; fi`,
  check: 'follow "$1"; exists "$1"',
  upload: `follow "$1"; mkdir -p -- "$1" || exit ${WrongType}; isdir "$1"
    tar -x -o -f - -C "$1" || exit ${BadArchive}`,
  download:
    'follow "$1"; exists "$1"; cd -- "$(dirname -- "$1")" && exec tar -c -f - -- "$(basename -- "$1")"',
} as const;

export type FileOperation = keyof typeof SCRIPTS;

/** The argv of `op` on `args`, confined to `roots`. */
export function fileCommand(op: FileOperation, roots: readonly string[], args: string[]): string[] {
  return ['/bin/sh', '-c', `${prelude(roots)}\n${SCRIPTS[op]}`, `paddock-${op}`, ...args];
}

/** tar's first complaint, without its warnings and its closing "Exiting with failure status". */
function tarReason(stderr: string): string | undefined {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .find(
      (line) =>
        line !== '' &&
        !/Removing leading|Exiting with failure status|Error is not recoverable/.test(line),
    );
}

/** An operation's exit code as the error of the files contract. */
export function fileFailure(
  op: FileOperation,
  path: string,
  exitCode: number | null,
  stderr: string,
): PaddockError {
  const message = stderr.trim().split('\n').pop() || `${op} ${path} failed`;
  if (/No space left on device|Disk quota exceeded/.test(stderr)) {
    return new PaddockError(ErrorCode.InsufficientStorage, `${op} ${path}: ${message}`, { path });
  }
  switch (exitCode) {
    case FileExit.Outside:
      return new PaddockError(ErrorCode.PathOutsideSandbox, message, { path });
    case FileExit.Missing:
      return new PaddockError(ErrorCode.NotFound, message, { path });
    case FileExit.WrongType:
      return new PaddockError(ErrorCode.ValidationFailed, message, {
        path,
        issues: [{ path: 'path', message }],
      });
    case FileExit.BadArchive: {
      const reason = tarReason(stderr) ?? message;
      return new PaddockError(
        ErrorCode.ValidationFailed,
        `the archive cannot be extracted into ${path}: ${reason}`,
        { path, issues: [{ path: 'archive', message: reason }] },
      );
    }
    case FileExit.Unsupported:
      return new PaddockError(ErrorCode.RuntimeUnavailable, message, { path });
    default:
      return new PaddockError(ErrorCode.Internal, `${op} ${path} failed: ${message}`, {
        path,
        exitCode,
      });
  }
}
