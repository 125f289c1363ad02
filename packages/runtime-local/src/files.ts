import { posix } from 'node:path';
import {
  COMMON_FILE_SCRIPTS,
  ErrorCode,
  FileExit,
  type FileInfo,
  type FileReadStream,
  type FileType,
  fileBytesOf,
  fileFailure,
  fileGuards,
  fileModeOctal,
  MAX_FILE_READ_BYTES,
  PaddockError,
  type ProcessHandle,
  readArchiveStream,
  readFileStream,
  type SandboxFiles,
  type SandboxRef,
} from '@paddock/core';
import { diskFullFromStderr } from './disk-full.ts';
import { confinePath, isRoot, WRITABLE_ROOTS } from './sandbox-paths.ts';

/** Runs a command inside the sandbox as the sandbox user (a plain, piped exec). */
export type RunInSandbox = (ref: SandboxRef, command: string[]) => Promise<ProcessHandle>;

const FIND_FORMAT = `'%y\\0%s\\0%m\\0%T@\\0%f\\0'`;

const { WrongType, BadArchive } = FileExit;

const PRELUDE = `${fileGuards(WRITABLE_ROOTS)}\n`;

/** The common scripts (`read` and `write` refuse what is not a regular file), with GNU find. */
const SCRIPTS = {
  ...COMMON_FILE_SCRIPTS,
  list: `follow "$1"; exists "$1"; isdir "$1"; exec find "$1/" -mindepth 1 -maxdepth 1 -printf ${FIND_FORMAT}`,
  stat: `nofollow "$1"; exists "$1"; exec find "$1" -maxdepth 0 -printf ${FIND_FORMAT}`,
  upload: `follow "$1"; mkdir -p -- "$1" || exit ${WrongType}; isdir "$1"
    tar -x -f - -C "$1" --no-same-owner --delay-directory-restore || exit ${BadArchive}`,
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

/** Translates a file operation's exit code into the error of the files contract. */
function failure(
  op: Operation,
  path: string,
  exitCode: number | null,
  stderr: string,
): PaddockError {
  return diskFullFromStderr(stderr, `${op} ${path}`) ?? fileFailure(op, path, exitCode, stderr);
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
    // A list or a stat is bounded by the directory; a file's bytes go through `readStream`.
    const output = readAll(handle.stdout);
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
      output,
      readAll(handle.stderr),
      handle.exit,
      writing,
    ]);
    if (exit.exitCode !== 0) throw failure(op, path, exit.exitCode, stderr.toString('utf8'));
    return stdout;
  }

  /** The `read` script's answer as a stream; a file past `limitBytes` is refused before it. */
  async function readStream(
    ref: SandboxRef,
    path: string,
    limitBytes?: number,
  ): Promise<FileReadStream> {
    const args = [confinePath(path), limitBytes === undefined ? '' : String(limitBytes)];
    const handle = await run(ref, command('read', args));
    return readFileStream(handle, path, (exitCode, stderr) =>
      failure('read', path, exitCode, stderr),
    );
  }

  return {
    read: async (ref, path) =>
      fileBytesOf(await readStream(ref, path, MAX_FILE_READ_BYTES), path, MAX_FILE_READ_BYTES),
    readStream: (ref, path) => readStream(ref, path),
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
      const handle = await run(ref, command('download', [confinePath(path)]));
      return readArchiveStream(handle, path, (exitCode, stderr) =>
        failure('download', path, exitCode, stderr),
      );
    },
  };
}
