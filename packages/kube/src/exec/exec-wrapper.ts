import { constants } from 'node:os';
import { ErrorCode, PaddockError } from '@paddock/core';

/**
 * Kubernetes' exec has no signals, no environment and no working directory: it runs an argv in a
 * container. So a command runs under a small POSIX shell wrapper that sets its environment,
 * changes to its directory, writes its own pid to stdout as an escape sequence (which the client
 * takes out of the stream), and `exec`s the command, which keeps that pid. A signal is then
 * another exec, `kill` of that pid in the same container (its process group first: runc makes
 * every exec'd process the leader of a new session, so the group is the command's tree).
 */
const WRAPPER = [
  'd=$1; n=$2; shift 2',
  'while [ "$n" -gt 0 ]; do export "$1" || exit 126; shift; n=$((n - 1)); done',
  'if [ -n "$d" ]; then cd -- "$d" || exit 126; fi',
  `printf '\\033]paddock-pid;%s\\007' "$$"`,
  'exec "$@"',
].join('\n');

const SIGNAL = 'kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" -- "$2"';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(path: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${path} ${message}`, {
    issues: [{ path, message }],
  });
}

/** The argv that runs `command` under the wrapper with `env` in `cwd` (none: the container's). */
export function wrapCommand(
  command: readonly string[],
  env: Readonly<Record<string, string>> = {},
  cwd?: string,
): string[] {
  checkCommand(command);
  if (cwd !== undefined && (!cwd.startsWith('/') || cwd.includes('\0'))) {
    throw invalid('cwd', 'must be an absolute path');
  }
  const pairs = Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw invalid(`env.${name}`, 'is not a valid variable name');
    if (typeof value !== 'string' || value.includes('\0')) {
      throw invalid(`env.${name}`, 'must be a string without NUL');
    }
    return `${name}=${value}`;
  });
  return [
    '/bin/sh',
    '-c',
    WRAPPER,
    'paddock-exec',
    cwd ?? '',
    String(pairs.length),
    ...pairs,
    ...command,
  ];
}

export function checkCommand(command: readonly string[]): void {
  if (!Array.isArray(command) || command.length === 0 || command[0] === '') {
    throw invalid('command', 'must hold at least the program');
  }
  for (const word of command) {
    if (typeof word !== 'string' || word.includes('\0')) {
      throw invalid('command', 'must be strings without NUL');
    }
  }
}

/** The argv that sends `signal` (canonical, `SIGTERM`) to the process group of `pid`, else to it. */
export function signalCommand(signal: string, pid: number): string[] {
  return ['/bin/sh', '-c', SIGNAL, 'paddock-signal', signal.slice(3), String(pid)];
}

/** Checks a signal name (`SIGTERM`, also `TERM`) and returns its canonical form. */
export function signalName(name: string): string {
  const canonical = name.startsWith('SIG') ? name : `SIG${name}`;
  if (!Object.hasOwn(constants.signals, canonical)) {
    throw invalid('signal', `${JSON.stringify(name)} is no signal name such as SIGTERM`);
  }
  return canonical;
}

/** The number of a canonical signal name. */
export function signalNumber(name: string): number {
  return constants.signals[name as keyof typeof constants.signals];
}

const MARKER_START = Buffer.from('\x1b]paddock-pid;', 'latin1');
const MARKER_END = 0x07;
/** Output held back while looking for the pid; past it, the pid is taken as never coming. */
const MARKER_WINDOW_BYTES = 4096;

/**
 * Takes the wrapper's pid out of the head of stdout. `push` returns the bytes to pass on (none
 * while the marker may still come); `end` returns what was held back.
 */
export class PidMarker {
  #held: Buffer = Buffer.alloc(0);
  #isDone = false;
  pid: number | undefined;

  push(chunk: Uint8Array): Uint8Array {
    if (this.#isDone) return chunk;
    this.#held = Buffer.concat([this.#held, chunk]);
    const start = this.#held.indexOf(MARKER_START);
    if (start !== -1) {
      const end = this.#held.indexOf(MARKER_END, start + MARKER_START.length);
      if (end === -1 && this.#held.length <= MARKER_WINDOW_BYTES) return new Uint8Array(0);
      if (end !== -1) {
        const pid = Number(
          this.#held.subarray(start + MARKER_START.length, end).toString('latin1'),
        );
        if (Number.isSafeInteger(pid) && pid > 0) this.pid = pid;
        const rest = Buffer.concat([this.#held.subarray(0, start), this.#held.subarray(end + 1)]);
        return this.#release(rest);
      }
    } else if (this.#held.length <= MARKER_WINDOW_BYTES) {
      return new Uint8Array(0);
    }
    return this.#release(this.#held);
  }

  end(): Uint8Array {
    return this.#isDone ? new Uint8Array(0) : this.#release(this.#held);
  }

  #release(bytes: Buffer): Uint8Array {
    this.#isDone = true;
    this.#held = Buffer.alloc(0);
    return bytes;
  }
}
