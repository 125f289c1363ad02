import { constants } from 'node:os';
import type { Terminal } from '@paddock/client';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { Command } from '../command.ts';
import { oneName, shellExitCode } from './sandbox.ts';

/** Signals that end the CLI (not the shell): the terminal is detached and the TTY restored. */
const ENDING_SIGNALS = ['SIGTERM', 'SIGHUP'] as const;

/** The size of the terminal the CLI runs in; 80×24 when stdout is not one. */
function terminalSize(): { cols: number; rows: number } {
  const { columns, rows } = process.stdout;
  return process.stdout.isTTY && columns > 0 && rows > 0
    ? { cols: columns, rows }
    : { cols: 80, rows: 24 };
}

/**
 * Wires the process's terminal to a sandbox terminal until the shell exits: raw stdin (every
 * byte, Ctrl-C included, goes to the sandbox), raw output, SIGWINCH as resize. Everything it
 * changes on the process is undone on every way out.
 */
export async function attach(terminal: Terminal, stderr: (text: string) => void): Promise<number> {
  const stdin = process.stdin;
  const isRaw = stdin.isTTY === true;
  const cleanups: Array<() => void> = [];
  const on = (event: NodeJS.Signals | 'exit', listener: () => void) => {
    process.on(event, listener);
    cleanups.push(() => process.off(event, listener));
  };
  let endedBy: NodeJS.Signals | undefined;
  try {
    if (isRaw) {
      stdin.setRawMode(true);
      cleanups.push(() => stdin.setRawMode(false));
      // A crash between here and `finally` must not leave the user's terminal raw.
      on('exit', () => stdin.setRawMode(false));
    } else {
      // Without a TTY, Ctrl-C reaches the CLI as SIGINT: pass it on as the byte a TTY would send.
      on('SIGINT', () => terminal.write('\x03'));
    }
    for (const signal of ENDING_SIGNALS) {
      on(signal, () => {
        endedBy = signal;
        terminal.close();
      });
    }
    on('SIGWINCH', () => {
      const { cols, rows } = terminalSize();
      terminal.resize(cols, rows);
    });
    const onData = (chunk: Buffer) => terminal.write(new Uint8Array(chunk));
    // Piped input: its end is the end of input a user would type (Ctrl-D).
    const onEnd = () => terminal.write('\x04');
    stdin.on('data', onData).on('end', onEnd);
    cleanups.push(() => {
      stdin.off('data', onData).off('end', onEnd);
      stdin.pause();
    });
    stdin.resume();
    terminal.on('output', (data) => process.stdout.write(data));
    terminal.on('reconnecting', ({ attempt }) =>
      stderr(`\r\npaddock: connection lost; reconnecting (attempt ${attempt})…\r\n`),
    );
    terminal.on('session', (info) => {
      if (info.isReattach) stderr('\r\npaddock: reconnected\r\n');
    });
    const exit = await terminal.done;
    if (endedBy !== undefined) return 128 + constants.signals[endedBy];
    return exit === undefined ? 0 : shellExitCode(exit.exitCode, exit.signal);
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup();
  }
}

const shell: Command = {
  path: ['sandbox', 'shell'],
  flags: [],
  help: `Usage: paddock sandbox shell NAME [-n NAMESPACE] [-- COMMAND ARGS…]

Opens an interactive shell (bash, else sh) on a pseudo-terminal in a running sandbox. Every key,
Ctrl-C included, goes to the sandbox; the window size follows yours. A dropped connection is
re-attached within the server's reconnect window (30 s), replaying the output missed. Exits with
the shell's exit code.

With a command after --, runs it on the terminal instead of the shell (a REPL, an editor, top).

Example:
  paddock sandbox shell scratch
  paddock sandbox shell scratch -- python3 -q
`,
  async run({ args, invocation, settings, client, io }) {
    const name = oneName(args, 'paddock sandbox shell NAME');
    if (invocation.rest !== undefined && invocation.rest.length === 0) {
      throw new PaddockError(ErrorCode.ValidationFailed, 'nothing to run after --', {
        issues: [{ path: '--', message: 'give a command after --, or leave -- out for a shell' }],
      });
    }
    const terminal = await client.sandboxes.terminal(name, {
      namespace: settings.namespace,
      ...(invocation.rest === undefined ? {} : { command: invocation.rest }),
      ...terminalSize(),
    });
    return attach(terminal, io.stderr);
  },
};

export const sandboxShellCommands: readonly Command[] = [shell];
