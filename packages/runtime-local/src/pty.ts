import { randomUUID } from 'node:crypto';
import { spawn as spawnPty } from '@lydell/node-pty';
import { ErrorCode, type ExitStatus, PaddockError, type ProcessHandle } from '@paddock/core';
import { HOST_ENV, killAtTimeout, type PipedOptions, SentSignals } from './exec.ts';
import type { Argv } from './host-commands.ts';
import { signalCommand, signalNameOf } from './process-signals.ts';

export const DEFAULT_COLS = 80;
export const DEFAULT_ROWS = 24;

function checkSize(cols: number, rows: number): void {
  if (
    !Number.isInteger(cols) ||
    !Number.isInteger(rows) ||
    cols < 1 ||
    rows < 1 ||
    cols > 10000 ||
    rows > 10000
  ) {
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid terminal size ${cols}x${rows}`, {
      issues: [{ path: 'cols', message: 'cols and rows must be integers from 1 to 10000' }],
    });
  }
}

/**
 * Spawns a host chain that enters the sandbox on a pseudo-terminal: stdout carries everything
 * the terminal shows, stderr is empty, `resize` changes the window size (the command gets
 * SIGWINCH). The chain leads the terminal's session; a timeout kills its process group.
 */
export function spawnTty(
  argv: Argv,
  options: PipedOptions & { cols?: number; rows?: number },
): ProcessHandle {
  const cols = options.cols ?? DEFAULT_COLS;
  const rows = options.rows ?? DEFAULT_ROWS;
  checkSize(cols, rows);
  const pty = spawnPty(argv.file, argv.args, {
    cols,
    rows,
    cwd: '/',
    env: HOST_ENV,
    encoding: null,
  });
  let timedOut = false;
  let hasExited = false;
  const isRunning = () => !hasExited;
  const sent = new SentSignals(options);
  const timer =
    options.timeoutMs !== undefined && options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          sent.add('SIGKILL');
          killAtTimeout(pty.pid, options, isRunning);
        }, options.timeoutMs)
      : undefined;

  let output: ReadableStreamDefaultController<Uint8Array> | undefined;
  let isClosed = false;
  const stdout = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        output = controller;
      },
      pull() {
        pty.resume();
      },
      cancel() {
        isClosed = true;
        pty.resume();
      },
    },
    { highWaterMark: 64 },
  );
  pty.onData((data: string | Buffer) => {
    if (isClosed || !output) return;
    output.enqueue(typeof data === 'string' ? Buffer.from(data) : new Uint8Array(data));
    if ((output.desiredSize ?? 1) <= 0) pty.pause();
  });
  const exit = new Promise<ExitStatus>((resolve) => {
    pty.onExit(({ exitCode, signal }) => {
      hasExited = true;
      if (timer) clearTimeout(timer);
      const name = signalNameOf(signal ?? 0);
      const status = sent.statusOf(exitCode, name, timedOut);
      if (!isClosed) {
        isClosed = true;
        output?.close();
      }
      options.onExit?.(status);
      resolve(status);
    });
  });
  // The typings say string, but the pty's socket takes bytes as they are (no re-encoding).
  const writeBytes = pty.write.bind(pty) as unknown as (data: Buffer) => void;
  const stdin = new WritableStream<Uint8Array>({
    write(chunk) {
      writeBytes(Buffer.from(chunk));
    },
  });
  const stderr = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.close();
    },
  });
  return {
    id: randomUUID(),
    stdin,
    stdout,
    stderr,
    resize: async (newCols, newRows) => {
      checkSize(newCols, newRows);
      try {
        pty.resize(newCols, newRows);
      } catch {}
    },
    signal: async (signal) => {
      sent.add(signal);
      // Once the chain has ended, its pid (and its child's) may be another process's.
      if (isRunning()) await (options.signalCommand ?? signalCommand)(pty.pid, signal);
    },
    exit,
  };
}
