/**
 * The answers of the files API's `read` and `download` scripts (`COMMON_FILE_SCRIPTS`) as
 * `SandboxFiles.readStream` and `download` give them: shared by the runtimes that run the
 * scripts inside the sandbox. Pure: it only reads the streams of a process it is handed.
 */
import { ErrorCode, PaddockError } from './errors.ts';
import { archiveFailure, fileTooLarge } from './file-scripts.ts';
import type { ExitStatus, FileReadStream, ProcessHandle } from './runtime.ts';

/** The size line the script prints first: digits and a newline. */
const MAX_HEADER_BYTES = 24;
/** Enough of stderr to say why: the scripts print one line. */
const MAX_STDERR_BYTES = 16 * 1024;

/** An exit status and stderr turned into the files contract's error (the runtime's own table). */
export type FileReadFailure = (exitCode: number | null, stderr: string) => PaddockError;

/**
 * The file `handle` (the `read` script) prints, as a stream of exactly its size. Every refusal
 * the script makes before printing the size (`not_found`, `validation_failed`,
 * `path_outside_sandbox`, `payload_too_large`), or a copy that fails before its first byte (a
 * fifo swapped in; a file that shrank is `conflict`), rejects the promise: no byte has been
 * handed out. Past that, a failure (the sandbox stopped, the file shrank, a tool answering more
 * than the file holds) errors the stream, so a consumer never takes a partial answer for a whole one. The stream pulls from the
 * process only as it is read (a slow reader pauses the process); cancelling it kills the process.
 */
export async function readFileStream(
  handle: ProcessHandle,
  path: string,
  failure: FileReadFailure,
): Promise<FileReadStream> {
  void handle.stdin.close().catch(() => {});
  const stderr = textOf(handle.stderr);
  const reader = handle.stdout.getReader();
  /** The process's failure once its output ended, or undefined when it exited 0. */
  const finished = async (): Promise<PaddockError | undefined> => {
    const [exit, text] = await Promise.all([handle.exit.catch(lostExit), stderr]);
    return exit.exitCode === 0 ? undefined : failure(exit.exitCode, text);
  };
  /**
   * The process's error once its output ended short: its failure, or when it exited 0,
   * `conflict` (the file shrank, or turned into a fifo, after it was sized: read it again).
   */
  const ended = async (): Promise<PaddockError> =>
    (await finished()) ??
    new PaddockError(
      ErrorCode.Conflict,
      `${path} changed while it was read: it holds fewer bytes than when the read began`,
      { path },
    );
  const stop = async (reason: unknown) => {
    await reader.cancel(reason).catch(() => {});
    await handle.signal('SIGKILL').catch(() => {});
  };

  let pending: Uint8Array = new Uint8Array(0);
  let newline = -1;
  while (newline < 0) {
    const next = await reader.read();
    if (next.done) {
      const error = await ended();
      throw error.code === ErrorCode.Conflict ? noSize(path) : error;
    }
    pending = concat(pending, next.value);
    newline = pending.indexOf(0x0a);
    if (newline < 0 && pending.byteLength > MAX_HEADER_BYTES) {
      await stop('bad header');
      throw noSize(path);
    }
  }
  const header = new TextDecoder().decode(pending.subarray(0, newline));
  const sizeBytes = Number(header);
  if (!/^\d+$/.test(header) || !Number.isSafeInteger(sizeBytes)) {
    await stop('bad header');
    throw noSize(path);
  }
  pending = pending.subarray(newline + 1);
  // The first byte (or the end) is awaited before answering: a copy that cannot even start is an
  // error of the call, not of a stream already handed out.
  if (pending.byteLength === 0) {
    const next = await reader.read();
    if (next.done) {
      const error = sizeBytes > 0 ? await ended() : await finished();
      if (error !== undefined) throw error;
      return { sizeBytes, stream: new ReadableStream({ start: (c) => c.close() }) };
    }
    pending = next.value;
  }

  let sentBytes = 0;
  const tooMany = () =>
    new PaddockError(
      ErrorCode.Internal,
      `reading ${path} answered more than the ${sizeBytes} bytes the file holds`,
      { path, sizeBytes },
    );
  const stream = new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        let chunk: Uint8Array;
        if (pending.byteLength > 0) {
          chunk = pending;
          pending = new Uint8Array(0);
        } else {
          let next: Awaited<ReturnType<typeof reader.read>>;
          try {
            next = await reader.read();
          } catch (error) {
            controller.error(lost(path, error));
            return;
          }
          if (next.done) {
            const error = sentBytes < sizeBytes ? await ended() : await finished();
            if (error === undefined) controller.close();
            else controller.error(error);
            return;
          }
          chunk = next.value;
        }
        if (sentBytes + chunk.byteLength > sizeBytes) {
          const error = tooMany();
          await stop(error);
          controller.error(error);
          return;
        }
        sentBytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
      cancel: (reason) => stop(reason),
    },
    { highWaterMark: 0 },
  );
  return { sizeBytes, stream };
}

/**
 * The tar archive `handle` (the `download` script) prints, as a stream. A refusal before its
 * first byte (`not_found`, `path_outside_sandbox`, tar missing) rejects the promise with
 * `failure`'s error. Past it, an archive that is not whole (`archiveFailure`: a file tar could
 * not read, a file that shrank, tar killed as the sandbox stopped) errors the stream at its end,
 * so a consumer never takes it for a whole one. The stream pulls from the process only as it is
 * read; cancelling it kills the process.
 */
export async function readArchiveStream(
  handle: ProcessHandle,
  path: string,
  failure: FileReadFailure,
): Promise<ReadableStream<Uint8Array>> {
  void handle.stdin.close().catch(() => {});
  const stderr = textOf(handle.stderr);
  const reader = handle.stdout.getReader();
  const ended = async () => {
    const [exit, text] = await Promise.all([handle.exit.catch(lostExit), stderr]);
    return { exit, text };
  };

  let first: Uint8Array | undefined;
  for (;;) {
    const next = await reader.read();
    if (next.done) {
      const { exit, text } = await ended();
      if (exit.exitCode !== 0) throw failure(exit.exitCode, text);
      return new ReadableStream({ start: (c) => c.close() });
    }
    if (next.value.byteLength > 0) {
      first = next.value;
      break;
    }
  }

  let pending: Uint8Array | undefined = first;
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        if (pending !== undefined) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (error) {
          controller.error(lost(path, error));
          return;
        }
        if (!next.done) {
          controller.enqueue(next.value);
          return;
        }
        const { exit, text } = await ended();
        const error = archiveFailure(path, exit, text);
        if (error === undefined) controller.close();
        else controller.error(error);
      },
      cancel: async (reason) => {
        await reader.cancel(reason).catch(() => {});
        await handle.signal('SIGKILL').catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A read's whole answer in memory, for callers that must hold it: at most `limitBytes`, else
 * `payload_too_large` (the script refuses a larger file before copying; this bounds an answer
 * that claims less than it sends).
 */
export async function fileBytesOf(
  read: FileReadStream,
  path: string,
  limitBytes: number,
): Promise<Uint8Array> {
  if (read.sizeBytes > limitBytes) {
    await read.stream.cancel().catch(() => {});
    throw fileTooLarge(path, limitBytes);
  }
  const bytes = new Uint8Array(read.sizeBytes);
  let at = 0;
  for await (const chunk of read.stream) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** The script's answer did not start with the file's size (a tool in the sandbox misbehaves). */
function noSize(path: string): PaddockError {
  return new PaddockError(ErrorCode.Internal, `reading ${path} failed: no size came first`, {
    path,
  });
}

/** The process's output failed (its connection lost): an error of the read naming why. */
function lost(path: string, error: unknown): PaddockError {
  return new PaddockError(
    ErrorCode.Internal,
    `reading ${path} failed: ${error instanceof Error ? error.message : String(error)}`,
    { path },
    { cause: error },
  );
}

/** The exit of a process whose connection failed: no status, an error of the read. */
function lostExit(): ExitStatus {
  return { exitCode: null, signal: null, timedOut: false };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** A stream's text, the first {@link MAX_STDERR_BYTES} kept; read to its end either way. */
async function textOf(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let kept = 0;
  try {
    for await (const chunk of stream) {
      if (kept >= MAX_STDERR_BYTES) continue;
      const part = chunk.subarray(0, MAX_STDERR_BYTES - kept);
      kept += part.byteLength;
      text += decoder.decode(part, { stream: true });
    }
  } catch {
    // A connection lost: what came is the reason.
  }
  return text + decoder.decode();
}
