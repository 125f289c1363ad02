import { posix } from 'node:path';
import {
  ErrorCode,
  type FileInfo,
  type FileType,
  fileModeOctal,
  PaddockError,
  type ProcessHandle,
  type SandboxFiles,
  type SandboxRef,
} from '@paddock/core';
import { diskFullFromStderr } from './disk-full.ts';
import { confinePath, isRoot, WRITABLE_ROOTS } from './sandbox-paths.ts';

/** Runs a command inside the sandbox as the sandbox user (a plain, piped exec). */
export type RunInSandbox = (ref: SandboxRef, command: string[]) => Promise<ProcessHandle>;

const OUTSIDE = 3;
const MISSING = 4;
const WRONG_TYPE = 5;
const BAD_ARCHIVE = 6;

const ROOT_PATTERN = WRITABLE_ROOTS.map((r) => `${r}|${r}/*`).join('|');

/**
 * Shell functions every file operation starts with. They run inside the sandbox as the sandbox
 * user, so a symlink swapped in at the worst moment can only reach what that user may reach
 * anyway; they exist to keep the API's answers inside the writable roots.
 * - `follow P`: P with every symlink resolved must stay inside the roots.
 * - `nofollow P`: P's directory resolved, plus its own name, must (P itself may be a link).
 */
const PRELUDE = `
inside() { case "$1" in ${ROOT_PATTERN}) return 0;; esac; return 1; }
outside() { echo "$1 resolves to $2, outside the sandbox's writable directories" >&2; exit ${OUTSIDE}; }
follow() { r=$(realpath -m -- "$1") || exit ${OUTSIDE}; inside "$r" || outside "$1" "$r"; }
nofollow() {
  d=$(realpath -m -- "$(dirname -- "$1")") || exit ${OUTSIDE}
  r="\${d%/}/$(basename -- "$1")"; inside "$r" || outside "$1" "$r"
}
exists() { [ -e "$1" ] || [ -L "$1" ] || { echo "$1 does not exist" >&2; exit ${MISSING}; }; }
isdir() { [ -d "$1" ] || { echo "$1 is not a directory" >&2; exit ${WRONG_TYPE}; }; }
notdir() { [ ! -d "$1" ] || { echo "$1 is a directory" >&2; exit ${WRONG_TYPE}; }; }
`;

const FIND_FORMAT = `'%y\\0%s\\0%m\\0%T@\\0%f\\0'`;

const SCRIPTS = {
  read: 'follow "$1"; exists "$1"; notdir "$1"; exec cat -- "$1"',
  write: `follow "$1"; notdir "$1"; mkdir -p -- "$(dirname -- "$1")" && cat > "$1" || exit ${WRONG_TYPE}
    if [ -n "$2" ]; then chmod "$2" -- "$1"; fi`,
  list: `follow "$1"; exists "$1"; isdir "$1"; exec find "$1/" -mindepth 1 -maxdepth 1 -printf ${FIND_FORMAT}`,
  stat: `nofollow "$1"; exists "$1"; exec find "$1" -maxdepth 0 -printf ${FIND_FORMAT}`,
  mkdir: `follow "$1"; mkdir -p -- "$1" 2>/dev/null || { echo "$1 is not a directory" >&2; exit ${WRONG_TYPE}; }`,
  move: `nofollow "$1"; nofollow "$2"; exists "$1"; mkdir -p -- "$(dirname -- "$2")"
    mv -T -- "$1" "$2" || exit ${WRONG_TYPE}`,
  remove: `nofollow "$1"; exists "$1"
    if [ -d "$1" ] && [ ! -L "$1" ]; then
      if [ "$2" = recursive ]; then exec rm -rf -- "$1"; fi
      rmdir -- "$1" 2>/dev/null || { echo "$1 is a directory that is not empty" >&2; exit ${WRONG_TYPE}; }
    else exec rm -f -- "$1"; fi`,
  check: 'follow "$1"; exists "$1"',
  upload: `follow "$1"; mkdir -p -- "$1" || exit ${WRONG_TYPE}; isdir "$1"
    tar -x -f - -C "$1" --no-same-owner --delay-directory-restore || exit ${BAD_ARCHIVE}`,
  download: 'cd -- "$(dirname -- "$1")" && exec tar -c -f - -- "$(basename -- "$1")"',
} as const;

type Operation = keyof typeof SCRIPTS;

function command(op: Operation, args: string[]): string[] {
  return ['/bin/sh', '-c', `${PRELUDE}\n${SCRIPTS[op]}`, `paddock-${op}`, ...args];
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
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

/** Translates a file operation's exit code into the error of the files contract. */
function failure(
  op: Operation,
  path: string,
  exitCode: number | null,
  stderr: string,
): PaddockError {
  const message = stderr.trim().split('\n').pop() || `${op} ${path} failed`;
  const diskFull = diskFullFromStderr(stderr, `${op} ${path}`);
  if (diskFull) return diskFull;
  switch (exitCode) {
    case OUTSIDE:
      return new PaddockError(ErrorCode.PathOutsideSandbox, message, { path });
    case MISSING:
      return new PaddockError(ErrorCode.NotFound, message, { path });
    case WRONG_TYPE:
      return new PaddockError(ErrorCode.ValidationFailed, message, {
        path,
        issues: [{ path: 'path', message }],
      });
    case BAD_ARCHIVE: {
      const reason = tarReason(stderr) ?? message;
      return new PaddockError(
        ErrorCode.ValidationFailed,
        `the archive cannot be extracted into ${path}: ${reason}`,
        { path, issues: [{ path: 'archive', message: reason }] },
      );
    }
    default:
      return new PaddockError(ErrorCode.Internal, `${op} ${path} failed: ${message}`, {
        path,
        exitCode,
      });
  }
}

function parseFindOutput(text: string, dir: string | undefined, path: string): FileInfo[] {
  const fields = text.split('\0');
  const infos: FileInfo[] = [];
  for (let i = 0; i + 4 < fields.length; i += 5) {
    const [type = '', size = '0', mode = '0', mtime = '0', name = ''] = fields.slice(i, i + 5);
    infos.push({
      path: dir === undefined ? path : posix.join(dir, name),
      name,
      type: fileType(type),
      sizeBytes: Number(size),
      mode: Number.parseInt(mode, 8),
      modifiedAt: new Date(Number.parseFloat(mtime) * 1000).toISOString(),
    });
  }
  return infos;
}

function fileType(letter: string): FileType {
  if (letter === 'f') return 'file';
  if (letter === 'd') return 'directory';
  if (letter === 'l') return 'symlink';
  return 'other';
}

/**
 * The files API of a sandbox, performed inside it as the sandbox user (like `kubectl cp`):
 * Paddock never opens a sandbox's files on the host as root, where a link planted by the
 * sandbox could redirect it.
 */
export function sandboxFiles(run: RunInSandbox): SandboxFiles {
  async function perform(
    ref: SandboxRef,
    op: Operation,
    path: string,
    args: string[],
    stdin?: Uint8Array | ReadableStream<Uint8Array>,
  ): Promise<Buffer> {
    const handle = await run(ref, command(op, args));
    const writing =
      stdin instanceof ReadableStream
        ? stdin.pipeTo(handle.stdin).catch(() => {})
        : (async () => {
            const writer = handle.stdin.getWriter();
            if (stdin !== undefined && stdin.byteLength > 0)
              await writer.write(stdin).catch(() => {});
            await writer.close().catch(() => {});
          })();
    const [stdout, stderr, exit] = await Promise.all([
      readAll(handle.stdout),
      readAll(handle.stderr),
      handle.exit,
      writing,
    ]);
    if (exit.exitCode !== 0) throw failure(op, path, exit.exitCode, stderr.toString('utf8'));
    return stdout;
  }

  return {
    read: async (ref, path) =>
      new Uint8Array(await perform(ref, 'read', path, [confinePath(path)])),
    write: async (ref, path, data, options) => {
      const target = confinePath(path);
      await perform(ref, 'write', path, [target, fileModeOctal(options?.mode)], data);
    },
    list: async (ref, path) => {
      const dir = confinePath(path);
      const out = await perform(ref, 'list', path, [dir]);
      return parseFindOutput(out.toString('utf8'), dir, path).sort((a, b) =>
        a.name.localeCompare(b.name),
      );
    },
    stat: async (ref, path) => {
      const target = confinePath(path);
      const [info] = parseFindOutput(
        (await perform(ref, 'stat', path, [target])).toString('utf8'),
        undefined,
        target,
      );
      if (!info) throw new PaddockError(ErrorCode.NotFound, `${path} does not exist`, { path });
      return info;
    },
    mkdir: async (ref, path) => {
      await perform(ref, 'mkdir', path, [confinePath(path)]);
    },
    move: async (ref, from, to) => {
      const source = confinePath(from);
      const target = confinePath(to);
      if (isRoot(source) || isRoot(target)) {
        throw new PaddockError(
          ErrorCode.ValidationFailed,
          `cannot move ${from} to ${to}: a sandbox root stays`,
        );
      }
      await perform(ref, 'move', from, [source, target]);
    },
    remove: async (ref, path, options) => {
      const target = confinePath(path);
      if (isRoot(target))
        throw new PaddockError(
          ErrorCode.ValidationFailed,
          `cannot remove ${path}: a sandbox root stays`,
        );
      await perform(ref, 'remove', path, [target, options?.recursive ? 'recursive' : '']);
    },
    upload: async (ref, path, tar) => {
      await perform(ref, 'upload', path, [confinePath(path)], tar);
    },
    download: async (ref, path) => {
      const target = confinePath(path);
      await perform(ref, 'check', path, [target]);
      const handle = await run(ref, command('download', [target]));
      await handle.stdin.close().catch(() => {});
      void readAll(handle.stderr);
      return handle.stdout;
    },
  };
}
