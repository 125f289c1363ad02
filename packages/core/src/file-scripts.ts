/**
 * The shell side of the files API, shared by the runtimes that perform file operations inside the
 * sandbox as its user (local: bwrap; Kubernetes: pods/exec): the guards every script starts with,
 * the scripts that are the same everywhere, and the exit codes they fail with turned into the
 * errors of the files contract. Pure: text in, text out.
 */
import { ErrorCode, PaddockError } from './errors.ts';

/** Exit codes the scripts say what went wrong with. */
export const FileExit = {
  Outside: 3,
  Missing: 4,
  WrongType: 5,
  BadArchive: 6,
  Unsupported: 7,
  TooLarge: 8,
} as const;

/**
 * The most bytes `SandboxFiles.read` answers with (64 MiB): its answer is held in memory whole,
 * so a larger file (a sparse one of 100 GiB costs the sandbox nothing) is `payload_too_large`.
 * `SandboxFiles.readStream` streams any size; an archive download streams too.
 */
export const MAX_FILE_READ_BYTES = 64 * 1024 * 1024;

/**
 * The error of a buffered read past `limitBytes` (default {@link MAX_FILE_READ_BYTES}):
 * `payload_too_large` naming the limit and the way to read it whole.
 */
export function fileTooLarge(path: string, limitBytes = MAX_FILE_READ_BYTES): PaddockError {
  return new PaddockError(
    ErrorCode.PayloadTooLarge,
    `${path} is larger than ${limitBytes} bytes, the most a file read held in memory answers: stream it (GET .../files, paddock sandbox cp) or download it as an archive instead`,
    { path, limitBytes },
  );
}

/** `roots` as a `case` pattern of sh: each root and everything below it, quoted. */
function rootPattern(roots: readonly string[]): string {
  return roots
    .map((root) => {
      const quoted = `'${root.replaceAll("'", `'\\''`)}'`;
      return `${quoted}|${quoted}/*`;
    })
    .join('|');
}

/**
 * Shell functions every file operation starts with (POSIX sh, GNU `realpath -m`). They run as the
 * sandbox user, so a symlink swapped in at the worst moment can reach only what that user may
 * anyway; they keep the API's answers inside `roots`.
 * - `follow P`: P with every symlink resolved must stay inside the roots.
 * - `nofollow P`: P's directory resolved, plus its own name, must (P itself may be a link).
 * - `regular P`: P must be a regular file (after links) or absent. A fifo the sandbox planted
 *   would block opening it (for reading with no writer, for writing with no reader): the API call
 *   would never answer. A fifo swapped in after this check cannot block either: `read` and
 *   `write` open with O_NONBLOCK (GNU dd), and answer what the fifo held or fail.
 */
export function fileGuards(roots: readonly string[]): string {
  const { Outside, Missing, WrongType } = FileExit;
  return `inside() { case "$1" in ${rootPattern(roots)}) return 0;; esac; return 1; }
outside() { echo "$1 resolves to $2, outside the sandbox's writable directories" >&2; exit ${Outside}; }
follow() { r=$(realpath -m -- "$1") || exit ${Outside}; inside "$r" || outside "$1" "$r"; }
nofollow() {
  d=$(realpath -m -- "$(dirname -- "$1")") || exit ${Outside}
  r="\${d%/}/$(basename -- "$1")"; inside "$r" || outside "$1" "$r"
}
exists() { [ -e "$1" ] || [ -L "$1" ] || { echo "$1 does not exist" >&2; exit ${Missing}; }; }
isdir() { [ -d "$1" ] || { echo "$1 is not a directory" >&2; exit ${WrongType}; }; }
notdir() { [ ! -d "$1" ] || { echo "$1 is a directory" >&2; exit ${WrongType}; }; }
regular() { [ ! -e "$1" ] || [ -f "$1" ] || { echo "$1 is not a regular file" >&2; exit ${WrongType}; }; }
`;
}

const { WrongType, BadArchive, TooLarge } = FileExit;

/**
 * The operations whose script is the same in every runtime (after `fileGuards`); `read` and
 * `write` need GNU `du` and `dd` (`du`, not `stat`: gVisor refuses the statx of coreutils 9).
 * `read PATH [LIMIT]` fails before any output (a file past LIMIT bytes is `TooLarge`), then
 * prints the file's size and a newline, then copies that many bytes at most whatever the file
 * turns into meanwhile (grown, swapped for a link to /dev/zero); `readFileStream` turns that
 * into `SandboxFiles.readStream`'s answer and refuses an answer of another length.
 * `download PATH` prints a tar archive of PATH (GNU tar, or a tar whose failures exit non-zero);
 * `readArchiveStream` judges tar's exit with `archiveFailure`.
 */
export const COMMON_FILE_SCRIPTS = {
  read: `follow "$1"; exists "$1"; notdir "$1"; regular "$1"
    s=$(du -Lb -- "$1") || exit 1; s=\${s%%[!0-9]*}; [ -n "$s" ] || exit 1
    [ -z "$2" ] || [ "$s" -le "$2" ] || { echo "$1 holds $s bytes" >&2; exit ${TooLarge}; }
    printf '%s\\n' "$s"
    dd if="$1" iflag=nonblock,count_bytes count="$s" bs=64K status=none || { regular "$1"; exit 1; }
    regular "$1"`,
  write: `follow "$1"; notdir "$1"; regular "$1"; mkdir -p -- "$(dirname -- "$1")" || exit ${WrongType}
    dd of="$1" oflag=nonblock bs=64K status=none || { regular "$1"; exit ${WrongType}; }
    if [ -n "$2" ]; then chmod "$2" -- "$1"; fi`,
  mkdir: `follow "$1"; mkdir -p -- "$1" 2>/dev/null || { echo "$1 is not a directory" >&2; exit ${WrongType}; }`,
  move: `nofollow "$1"; nofollow "$2"; exists "$1"; mkdir -p -- "$(dirname -- "$2")"
    mv -T -- "$1" "$2" || exit ${WrongType}`,
  remove: `nofollow "$1"; exists "$1"
    if [ -d "$1" ] && [ ! -L "$1" ]; then
      if [ "$2" = recursive ]; then exec rm -rf -- "$1"; fi
      rmdir -- "$1" 2>/dev/null || { echo "$1 is a directory that is not empty" >&2; exit ${WrongType}; }
    else exec rm -f -- "$1"; fi`,
  download:
    'follow "$1"; exists "$1"; cd -- "$(dirname -- "$1")" && exec tar -c -f - -- "$(basename -- "$1")"',
} as const;

/** tar's complaints, without its notes and its closing "Exiting with failure status". */
function tarComplaints(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(
      (line) =>
        line !== '' &&
        !/Removing leading|Exiting with failure status|Error is not recoverable/.test(line),
    );
}

/**
 * What GNU tar says when the tree changes while it is archived, as warnings that exit 1 ("some
 * files differ"): a file changed (written, grown: its member holds what was read, up to the size
 * it had) or removed before it was read (it has no member). Each member is whole as read.
 */
const TREE_CHANGED = /: (file changed as we read it|File removed before we read it)$/;

/**
 * Why an archive tar created (the `download` script) is not whole, or undefined when it is: exit
 * 0, or exit 1 when tar said nothing but {@link TREE_CHANGED} warnings (a snapshot of a tree in
 * use, as `kubectl cp` and `docker cp` give). Anything else is `internal` naming why: tar's first
 * complaint (a file it could not read and left out, a file that shrank while read and was padded
 * with zeros it never held), or tar ended by a signal or without a status (the sandbox stopped).
 * Exit 1 with any other message fails too: busybox tar exits 1 for every failure.
 */
export function archiveFailure(
  path: string,
  exit: { exitCode: number | null; signal: string | null },
  stderr: string,
): PaddockError | undefined {
  const complaints = tarComplaints(stderr);
  if (exit.exitCode === 0) return undefined;
  if (exit.exitCode === 1 && complaints.length > 0 && complaints.every((l) => TREE_CHANGED.test(l)))
    return undefined;
  const reason =
    exit.exitCode === null
      ? exit.signal === null
        ? 'tar ended without an exit status (the sandbox stopped or its connection was lost)'
        : `tar was ended by ${exit.signal}`
      : (complaints[0] ?? `tar exited with ${exit.exitCode}`);
  return new PaddockError(ErrorCode.Internal, `the archive of ${path} is incomplete: ${reason}`, {
    path,
    exitCode: exit.exitCode,
  });
}

/**
 * An operation's exit code as the error of the files contract: `path_outside_sandbox`,
 * `not_found`, `validation_failed` (wrong type, bad archive), `runtime_unavailable` (the image
 * lacks a tool), `payload_too_large` (a buffered read past its limit), else `internal`.
 * A full disk is the caller's to recognise first.
 */
export function fileFailure(
  op: string,
  path: string,
  exitCode: number | null,
  stderr: string,
): PaddockError {
  const message = stderr.trim().split('\n').pop() || `${op} ${path} failed`;
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
    case BadArchive: {
      const reason = tarComplaints(stderr)[0] ?? message;
      return new PaddockError(
        ErrorCode.ValidationFailed,
        `the archive cannot be extracted into ${path}: ${reason}`,
        { path, issues: [{ path: 'archive', message: reason }] },
      );
    }
    case FileExit.Unsupported:
      return new PaddockError(ErrorCode.RuntimeUnavailable, message, { path });
    case TooLarge:
      return fileTooLarge(path);
    default:
      return new PaddockError(ErrorCode.Internal, `${op} ${path} failed: ${message}`, {
        path,
        exitCode,
      });
  }
}
