import type { ExecRequest, ExitStatus, FileInfo, SandboxRef, SandboxRuntime } from '@paddock/core';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encode = (text: string): Uint8Array => encoder.encode(text);
export const decode = (data: Uint8Array): string => decoder.decode(data);

/** A stream that yields `data` once and ends. */
export function streamOf(data: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (data.byteLength > 0) controller.enqueue(data);
      controller.close();
    },
  });
}

/**
 * `data` in chunks of at most 64 KiB, each made only when read (as a runtime's file read), after
 * `check` (which errors the stream by throwing).
 */
export function chunkedStreamOf(
  data: Uint8Array,
  check: () => void = () => {},
): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream(
    {
      pull(controller) {
        check();
        if (at >= data.byteLength) {
          controller.close();
          return;
        }
        const end = Math.min(at + 64 * 1024, data.byteLength);
        controller.enqueue(data.subarray(at, end));
        at = end;
      },
    },
    { highWaterMark: 0 },
  );
}

/** `chunks` one after another, in one array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}

/** Every byte of a stream, to its end. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concat(chunks);
}

export async function collectText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return decode(await collect(stream));
}

/** Reads until `pattern` matches what was read (or the stream ends); returns all of it. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
): Promise<string> {
  let seen = '';
  while (!pattern.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
  }
  return seen;
}

export type Completed = ExitStatus & { stdout: string; stderr: string };

/** Runs a command to its end, with `stdin` as its whole input. */
export async function runToEnd(
  runtime: SandboxRuntime,
  ref: SandboxRef,
  command: string[],
  request: Omit<ExecRequest, 'command'> & { stdin?: string } = {},
): Promise<Completed> {
  const { stdin, ...rest } = request;
  const handle = await runtime.exec(ref, { command, ...rest });
  const writer = handle.stdin.getWriter();
  if (stdin !== undefined) await writer.write(encode(stdin));
  await writer.close();
  const [stdout, stderr, exit] = await Promise.all([
    collectText(handle.stdout),
    collectText(handle.stderr),
    handle.exit,
  ]);
  return { ...exit, stdout, stderr };
}

/** Runs `sh -c script` to its end. */
export function shell(
  runtime: SandboxRuntime,
  ref: SandboxRef,
  script: string,
  request: Omit<ExecRequest, 'command'> = {},
): Promise<Completed> {
  return runToEnd(runtime, ref, ['sh', '-c', script], request);
}

/** Starts a background process and lets go of its output. */
export async function startBackground(
  runtime: SandboxRuntime,
  ref: SandboxRef,
  request: ExecRequest,
): Promise<Awaited<ReturnType<SandboxRuntime['exec']>>> {
  const handle = await runtime.exec(ref, { ...request, background: true });
  await handle.stdin.close().catch(() => {});
  await handle.stdout.cancel();
  await handle.stderr.cancel();
  return handle;
}

/** Names, types and paths of a listing, for comparing in one assertion. */
export function entries(listing: FileInfo[]): Array<[string, string, string]> {
  return listing.map((f) => [f.name, f.type, f.path]);
}

export const killed = (signal: string, timedOut = false): ExitStatus => ({
  exitCode: null,
  signal,
  timedOut,
});

export const exited = (exitCode: number): ExitStatus => ({
  exitCode,
  signal: null,
  timedOut: false,
});

/** A command that reopens its stdio by name: `/dev/stdout`, `/dev/stderr`, `/dev/stdin`, `/proc/self/fd/1`. */
export const REOPEN_STDIO = [
  'sh',
  '-c',
  [
    'echo out > /dev/stdout',
    'echo err > /dev/stderr',
    'cat /dev/stdin',
    'echo both | tee /dev/stderr',
    'echo fd1 > /proc/self/fd/1',
  ].join('; '),
];
