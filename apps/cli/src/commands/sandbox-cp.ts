import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { PaddockClient } from '@paddock/client';
import { ErrorCode, PaddockError } from '@paddock/core';
import { usageError } from '../cli-options.ts';
import type { Command } from '../command.ts';

/** Relative paths inside a sandbox are relative to its working directory. */
const SANDBOX_WORKDIR = '/workspace';

const REMOTE = /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?):(.*)$/;

type Location = { sandbox: string; path: string } | { sandbox: undefined; path: string };

/** `NAME:/path` is inside sandbox NAME; anything else (and `-`) is local. */
export function parseLocation(text: string): Location {
  const m = REMOTE.exec(text);
  if (m?.[1] === undefined || m[2] === undefined) return { sandbox: undefined, path: text };
  const path = m[2] === '' ? SANDBOX_WORKDIR : posix.resolve(SANDBOX_WORKDIR, m[2]);
  return { sandbox: m[1], path };
}

type Scope = { client: PaddockClient; sandbox: string; namespace: string };

/** Runs the system `tar`; resolves when it exits 0, else `internal` with its stderr. */
function tar(args: string[], input?: Uint8Array): { stdout: Readable; done: Promise<void> } {
  const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.stdin.end(input);
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new PaddockError(ErrorCode.Internal, `tar ${args[0]} failed: ${stderr.trim()}`)),
    );
  });
  return { stdout: child.stdout, done };
}

async function localType(path: string): Promise<'file' | 'directory' | undefined> {
  const found = await stat(path).catch(() => undefined);
  if (found === undefined) return undefined;
  return found.isDirectory() ? 'directory' : 'file';
}

async function remoteType(scope: Scope, path: string): Promise<string | undefined> {
  try {
    return (await scope.client.sandboxes.files.stat(scope.sandbox, path, scope)).type;
  } catch (error) {
    if (error instanceof PaddockError && error.code === ErrorCode.NotFound) return undefined;
    throw error;
  }
}

/** Local → sandbox: a file through the write route (mode kept), a directory as a tar archive. */
async function upload(scope: Scope, source: string, target: string, stdin: () => Promise<Buffer>) {
  const files = scope.client.sandboxes.files;
  if (source === '-') {
    await files.write(scope.sandbox, target, new Uint8Array(await stdin()), scope);
    return;
  }
  const info = await stat(source).catch(() => undefined);
  if (info === undefined) {
    throw new PaddockError(ErrorCode.NotFound, `${source}: no such local file or directory`);
  }
  const into = (await remoteType(scope, target)) === 'directory';
  if (!info.isDirectory()) {
    const path = into ? posix.join(target, basename(source)) : target;
    const mode = (info.mode & 0o7777).toString(8).padStart(3, '0');
    await files.write(scope.sandbox, path, new Uint8Array(await readFile(source)), {
      ...scope,
      mode,
    });
    return;
  }
  // Into an existing directory: a copy named like the source; else the target becomes the copy.
  const archive = into
    ? tar(['-c', '-f', '-', '-C', dirname(source), '--', basename(source)])
    : tar(['-c', '-f', '-', '-C', source, '.']);
  const stream = Readable.toWeb(archive.stdout) as ReadableStream<Uint8Array>;
  await Promise.all([files.upload(scope.sandbox, target, stream, scope), archive.done]);
}

/**
 * Sandbox → local: a file streamed through the read route (any size, mode kept; a copy cut
 * midway is removed and the error reported), a directory as a tar archive.
 */
async function download(scope: Scope, source: string, target: string, stdout: Writable) {
  const files = scope.client.sandboxes.files;
  const info = await files.stat(scope.sandbox, source, scope);
  if (info.type !== 'directory') {
    const isInto = target !== '-' && (await localType(target)) === 'directory';
    const path = isInto ? join(target, posix.basename(source)) : target;
    const { stream } = await files.readStream(scope.sandbox, source, scope);
    const bytes = Readable.fromWeb(stream as WebReadableStream<Uint8Array>);
    if (path === '-') {
      await pipeline(bytes, stdout, { end: false });
      return;
    }
    try {
      await pipeline(bytes, createWriteStream(path));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    await chmod(path, info.mode & 0o7777);
    return;
  }
  const archive = await files.download(scope.sandbox, source, scope);
  if (target === '-') {
    stdout.write(archive);
    return;
  }
  // The archive holds one entry named like the source directory.
  if ((await localType(target)) === 'directory') {
    await tar(['-x', '-p', '-f', '-', '-C', target], archive).done;
    return;
  }
  await mkdir(target, { recursive: true });
  await tar(['-x', '-p', '-f', '-', '-C', target, '--strip-components=1'], archive).done;
}

const cp: Command = {
  path: ['sandbox', 'cp'],
  flags: [],
  help: `Usage: paddock sandbox cp SRC DST [-n NAMESPACE]

Copies files and directories between this machine and a sandbox, either way. NAME:PATH is inside
sandbox NAME (a relative PATH is under /workspace), anything else is local; - is stdin (as SRC)
or stdout (as DST: a file's bytes, or a directory as a tar archive). Copying into an existing
directory puts the copy inside it. File modes are kept. A file out of a sandbox streams, whatever
its size; a copy cut short (the sandbox stopped) is removed and the command fails.

Examples:
  paddock sandbox cp ./src scratch:/workspace/src
  paddock sandbox cp scratch:/workspace/out.txt .
  echo hello | paddock sandbox cp - scratch:notes.txt
`,
  async run({ args, settings, client }) {
    const [src, dst, ...extra] = args;
    if (src === undefined || dst === undefined || extra.length > 0) {
      throw usageError([
        { path: 'SRC DST', message: 'exactly two paths: paddock sandbox cp SRC DST' },
      ]);
    }
    const from = parseLocation(src);
    const to = parseLocation(dst);
    const namespace = settings.namespace;
    if (from.sandbox !== undefined && to.sandbox === undefined) {
      await download({ client, sandbox: from.sandbox, namespace }, from.path, dst, process.stdout);
      return 0;
    }
    if (from.sandbox === undefined && to.sandbox !== undefined) {
      await upload({ client, sandbox: to.sandbox, namespace }, src, to.path, () =>
        buffer(process.stdin),
      );
      return 0;
    }
    throw usageError([
      {
        path: 'SRC DST',
        message:
          from.sandbox === undefined
            ? 'both are local: one side must be NAME:PATH inside a sandbox'
            : 'both are in sandboxes: copy through this machine in two steps',
      },
    ]);
  },
};

export const sandboxCpCommands: readonly Command[] = [cp];
