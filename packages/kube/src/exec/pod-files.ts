import { posix } from 'node:path';
import {
  ErrorCode,
  type FileInfo,
  type FileReadStream,
  type FileType,
  fileBytesOf,
  fileModeOctal,
  MAX_FILE_READ_BYTES,
  PaddockError,
  type ProcessHandle,
  readArchiveStream,
  readFileStream,
  type SandboxFiles,
  type SandboxRef,
} from '@paddock/core';
import { WRITABLE_PATHS } from '../objects/template-files.ts';
import { confinePath, isRoot } from './pod-file-paths.ts';
import { type FileOperation, fileCommand, fileFailure } from './pod-file-scripts.ts';

/** Runs an argv in the sandbox's container, as its user (e.g. `execInPod`, under its wrapper). */
export type RunInPod = (ref: SandboxRef, command: string[]) => Promise<ProcessHandle>;

export type PodFilesOptions = {
  run: RunInPod;
  /** The directories served (default the pod's writable ones: /workspace, /home/user, /tmp). */
  roots?: readonly string[];
};

/**
 * `SandboxFiles` performed inside the pod through exec, like `kubectl cp`: a POSIX shell, GNU
 * coreutils and tar in the image are all it needs (`runtime_unavailable` when `realpath -m` is
 * missing). Paths are confined twice, as the local runtime does: lexically here (`..` leaving
 * the roots is `path_outside_sandbox` before anything runs), and inside the pod after symlinks
 * are resolved. Errors follow the `SandboxFiles` contract; a full disk is
 * `insufficient_storage`. The caller (the pod runtime) must refuse a stopped sandbox first
 * (`invalid_transition`): there is no pod to exec in.
 */
export function podFiles(options: PodFilesOptions): SandboxFiles {
  const roots = options.roots ?? WRITABLE_PATHS;
  const confine = (path: string) => confinePath(path, roots);
  async function perform(
    ref: SandboxRef,
    op: FileOperation,
    path: string,
    args: string[],
    stdin?: Uint8Array | ReadableStream<Uint8Array>,
  ): Promise<Buffer> {
    const handle = await options.run(ref, fileCommand(op, roots, args));
    // A list or a stat is bounded by the directory; a file's bytes go through `readStream`.
    const output = readAll(handle.stdout);
    const writing =
      stdin instanceof ReadableStream
        ? stdin.pipeTo(handle.stdin).catch(() => {})
        : (async () => {
            const writer = handle.stdin.getWriter();
            if (stdin !== undefined && stdin.byteLength > 0) await writer.write(stdin);
            await writer.close();
          })().catch(() => {});
    const [stdout, stderr, exit] = await Promise.all([
      output,
      readAll(handle.stderr),
      handle.exit,
      writing,
    ]);
    if (exit.exitCode !== 0) throw fileFailure(op, path, exit.exitCode, stderr.toString('utf8'));
    return stdout;
  }

  function keepRoot(path: string, what: string): void {
    if (isRoot(path, roots)) {
      throw new PaddockError(ErrorCode.ValidationFailed, `cannot ${what}: a sandbox root stays`, {
        issues: [{ path: 'path', message: 'is a root of the sandbox' }],
      });
    }
  }

  /**
   * The `read` script's answer as a stream; a file past `limitBytes` is refused before it. The
   * exec's output is paused while the stream is not read (TCP's flow control reaches the pod).
   * A cancelled stream (or archive) `SIGKILL`s its exec: under the exec wrapper a `kill` of its
   * process group in the pod (what the pod runtime runs); unwrapped, a cut connection, which
   * may leave the command blocked on its full output pipe (see `execInPod`).
   */
  async function readStream(
    ref: SandboxRef,
    path: string,
    limitBytes?: number,
  ): Promise<FileReadStream> {
    const args = [confine(path), limitBytes === undefined ? '' : String(limitBytes)];
    const handle = await options.run(ref, fileCommand('read', roots, args));
    return readFileStream(handle, path, (exitCode, stderr) =>
      fileFailure('read', path, exitCode, stderr),
    );
  }

  return {
    read: async (ref, path) =>
      fileBytesOf(await readStream(ref, path, MAX_FILE_READ_BYTES), path, MAX_FILE_READ_BYTES),
    readStream: (ref, path) => readStream(ref, path),
    write: async (ref, path, data, writeOptions) => {
      const target = confine(path);
      await perform(ref, 'write', path, [target, fileModeOctal(writeOptions?.mode)], data);
    },
    list: async (ref, path) => {
      const dir = confine(path);
      const out = await perform(ref, 'list', path, [dir]);
      return parseStatOutput(out, (name) => posix.join(dir, name)).sort((a, b) =>
        a.name.localeCompare(b.name),
      );
    },
    stat: async (ref, path) => {
      const target = confine(path);
      const [info] = parseStatOutput(await perform(ref, 'stat', path, [target]), () => target);
      if (!info) throw new PaddockError(ErrorCode.NotFound, `${path} does not exist`, { path });
      return info;
    },
    mkdir: async (ref, path) => {
      await perform(ref, 'mkdir', path, [confine(path)]);
    },
    move: async (ref, from, to) => {
      const source = confine(from);
      const target = confine(to);
      keepRoot(source, `move ${from}`);
      keepRoot(target, `move onto ${to}`);
      await perform(ref, 'move', from, [source, target]);
    },
    remove: async (ref, path, removeOptions) => {
      const target = confine(path);
      keepRoot(target, `remove ${path}`);
      await perform(ref, 'remove', path, [target, removeOptions?.recursive ? 'recursive' : '']);
    },
    upload: async (ref, path, tar) => {
      await perform(ref, 'upload', path, [confine(path)], tar);
    },
    download: async (ref, path) => {
      const handle = await options.run(ref, fileCommand('download', roots, [confine(path)]));
      return readArchiveStream(handle, path, (exitCode, stderr) =>
        fileFailure('download', path, exitCode, stderr),
      );
    },
  };
}

/** The scripts' listing: a count line, the names (NUL-ended), one `%f %s %Y` line per name. */
export function parseStatOutput(out: Buffer, pathOf: (name: string) => string): FileInfo[] {
  const firstLine = out.indexOf(0x0a);
  const count = Number(out.subarray(0, firstLine).toString('utf8'));
  const names: string[] = [];
  let at = firstLine + 1;
  for (let i = 0; i < count; i++) {
    const end = out.indexOf(0, at);
    names.push(out.subarray(at, end).toString('utf8'));
    at = end + 1;
  }
  const lines = out.subarray(at).toString('utf8').split('\n');
  return names.map((name, i) => {
    const [rawMode = '0', size = '0', mtime = '0'] = (lines[i] ?? '').split(' ');
    const mode = Number.parseInt(rawMode, 16);
    const path = pathOf(name);
    return {
      path,
      name: posix.basename(path),
      type: fileType(mode),
      sizeBytes: Number(size),
      mode: mode & 0o7777,
      modifiedAt: new Date(Number(mtime) * 1000).toISOString(),
    };
  });
}

function fileType(mode: number): FileType {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symlink';
    default:
      return 'other';
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
