import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { ErrorCode, PaddockError } from '@paddock/core';
import { HOST_ENV } from './exec.ts';
import { type Argv, spareWords } from './host-commands.ts';
import type { Launcher, Spare } from './launcher.ts';
import { killGroup, signalNameOf } from './process-signals.ts';

/** What `spawnPiped` uses of a started helper: a spawned `ChildProcess`, or a taken spare. */
export type HelperProcess = Pick<
  ChildProcess,
  'pid' | 'stdin' | 'stdout' | 'stderr' | 'exitCode' | 'signalCode'
> & {
  once(
    event: 'exit',
    listener: (code: number | null, signal: NodeJS.Signals | null) => void,
  ): unknown;
};

/** Idle spares kept at the least, and at the most (however many execs ran at once). */
const MIN_IDLE = 2;
const MAX_IDLE = 32;

/**
 * Exec helpers started ahead of need, so that an exec pays for neither Node's fork of itself
 * (10 ms and more at Paddock's size, blocking every request meanwhile) nor perl's start. The
 * launcher forks them (`Launcher.spare`, `exec_spare` in launcher-requests.pl) and each execs a
 * perl of its own that compiles while it waits (a fork sharing the launcher's pages would copy
 * each page it touches on the exec's path), so refilling the pool costs Node no fork either: a taken spare's stdio, request and exit status pipes are opened
 * through `/proc/<pid>/fd/` (checked by inode, so a reused pid is never mistaken for it), its
 * words written on the request pipe, and it runs exactly as a spawned `host-helper.pl` with them
 * would, with its own stdin, stdout and stderr pipes and its own session. The pool keeps as many
 * idle as the most execs that ran at once (at least two, at most 32); with none idle, the
 * launcher forks one for the exec, and without a launcher a helper is spawned that makes its
 * pipes itself (`host-helper.pl -o`). Either way the command's stdio are real pipes, never
 * Node's socket pairs, so that it can reopen them (`/dev/stdout`, `/proc/self/fd/1`). Idle spares
 * keep nothing alive and end with the launcher.
 */
export class HelperPool {
  readonly #perl: string;
  readonly #script: string;
  readonly #launcher: Launcher | undefined;
  readonly #spareWords = spareWords();
  readonly #idle: Spare[] = [];
  /** Spares asked of the launcher and not answered yet. */
  #requested = 0;
  /** Taken helpers that have not ended, and the most there were at once. */
  #busy = 0;
  #peakBusy = 0;
  #isClosed = false;

  constructor(perl: string, script: string, launcher?: Launcher) {
    this.#perl = perl;
    this.#script = script;
    this.#launcher = launcher;
  }

  /** Spares ready to be taken (some may have ended since). */
  get idle(): number {
    return this.#idle.length;
  }

  /**
   * A helper running `argv`, its stdio piped like `spawn`'s: the host helper's words as they are,
   * any other command through the helper's `launch` mode with nothing to stage (which execs it).
   */
  async take(argv: Argv): Promise<HelperProcess> {
    const words = this.#wordsOf(argv);
    let helper: HelperProcess | undefined;
    for (let spare = this.#idle.shift(); spare !== undefined; spare = this.#idle.shift()) {
      helper = takeSpare(spare, words);
      if (helper !== undefined) break;
    }
    helper ??= await this.#takeNew(words);
    this.#busy += 1;
    this.#peakBusy = Math.max(this.#peakBusy, this.#busy);
    helper.once('exit', () => {
      this.#busy -= 1;
    });
    return helper;
  }

  /**
   * Asks the launcher for the spares the pool lacks: called once the operation that took one is
   * done, so that the launcher's fork does not compete with the exec just started.
   */
  refill(): void {
    const launcher = this.#launcher;
    if (launcher === undefined || this.#isClosed) return;
    const target = Math.min(MAX_IDLE, Math.max(MIN_IDLE, this.#peakBusy));
    while (this.#idle.length + this.#requested < target) {
      this.#requested += 1;
      launcher.spare(this.#spareWords).then(
        (spare) => {
          this.#requested -= 1;
          if (!this.#isClosed) this.#idle.push(spare);
        },
        () => {
          this.#requested -= 1;
        },
      );
    }
  }

  /** Forgets the idle spares (they end with the launcher); later takes spawn helpers. */
  close(): void {
    this.#isClosed = true;
    this.#idle.splice(0);
  }

  #wordsOf(argv: Argv): string[] {
    if (argv.file === this.#perl && argv.args[0] === this.#script) {
      return [...argv.args.slice(1), ...(argv.requestWords ?? [])];
    }
    if (argv.requestWords !== undefined) {
      // They would have to go in argv: a bug of the caller, never a request's fault.
      throw new PaddockError(
        ErrorCode.Internal,
        `${argv.file}: request words need the host helper`,
      );
    }
    return [...this.#spareWords, 'launch', '--', argv.file, ...argv.args];
  }

  /** A spare made for this exec: forked by the launcher, else spawned (`-o`). */
  async #takeNew(words: readonly string[]): Promise<HelperProcess> {
    const launcher = this.#isClosed ? undefined : this.#launcher;
    const forked = await launcher?.spare(this.#spareWords).catch(() => undefined);
    const taken = forked === undefined ? undefined : takeSpare(forked, words);
    if (taken !== undefined) return taken;
    const spawned = await this.#spawnSpare();
    const helper = spawned === undefined ? undefined : takeSpare(spawned, words);
    if (helper === undefined) {
      // It holds its own request pipe's ends: untaken, it would wait for ever.
      if (spawned !== undefined) killGroup(spawned.pid);
      throw new PaddockError(ErrorCode.RuntimeUnavailable, 'could not start an exec helper');
    }
    return helper;
  }

  /** A spare of this process's own: it answers `ok PID FD:INODE...` on its stdout. */
  #spawnSpare(): Promise<Spare | undefined> {
    const child = spawn(this.#perl, [this.#script, '-o', ...this.#spareWords], {
      env: HOST_ENV,
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
      cwd: '/',
    });
    return new Promise((resolve) => {
      let said = '';
      child.once('error', () => resolve(undefined));
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        said += chunk;
      });
      child.stdout.once('close', () => resolve(spareOf(child.pid, said)));
    });
  }
}

/** The spare a helper's answer `ok PID FD:INODE...` describes, if it is one. */
function spareOf(pid: number | undefined, answer: string): Spare | undefined {
  const [status, said, ...ends] = answer.trim().split(' ');
  if (status !== 'ok' || pid === undefined || Number(said) !== pid) return undefined;
  return {
    pid,
    ends: ends.map((end) => {
      const [fd, inode] = end.split(':').map(Number);
      return { fd: fd ?? -1, inode: inode ?? -1 };
    }),
  };
}

/** The ends of a spare's pipes Paddock opens, in `Spare.ends` order, and how. */
const END_FLAGS = [
  constants.O_WRONLY, // stdin
  constants.O_RDONLY, // stdout
  constants.O_RDONLY, // stderr
  constants.O_WRONLY, // request
  constants.O_RDONLY, // exit status
] as const;

/** Opens a spare's pipes and hands it `words`; undefined when it is gone (or its pid is another's). */
function takeSpare(spare: Spare, words: readonly string[]): HelperProcess | undefined {
  const path = (fd: number) => `/proc/${spare.pid}/fd/${fd}`;
  const [first] = spare.ends;
  if (spare.ends.length !== END_FLAGS.length || first === undefined) return undefined;
  const fds: number[] = [];
  try {
    // Looked at before anything is opened: a reused pid's descriptors are not ours to open.
    if (statSync(path(first.fd)).ino !== first.inode) return undefined;
    for (const [i, end] of spare.ends.entries()) {
      const fd = openSync(
        path(end.fd),
        (END_FLAGS[i] ?? constants.O_RDONLY) | constants.O_NONBLOCK,
      );
      fds.push(fd);
      if (fstatSync(fd).ino !== end.inode) throw new Error('not the spare');
    }
  } catch {
    for (const fd of fds) closeSync(fd);
    return undefined;
  }
  return new TakenSpare(spare.pid, fds, words);
}

/** A spare at work, seen as `spawnPiped` sees a spawned helper. */
class TakenSpare extends EventEmitter {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;

  constructor(pid: number, fds: readonly number[], words: readonly string[]) {
    super();
    const [stdin, stdout, stderr, request, status] = fds as [
      number,
      number,
      number,
      number,
      number,
    ];
    this.pid = pid;
    this.stdin = new Socket({ fd: stdin, readable: false, writable: true });
    this.stdout = new Socket({ fd: stdout, readable: true, writable: false });
    this.stderr = new Socket({ fd: stderr, readable: true, writable: false });
    const requestPipe = new Socket({ fd: request, readable: false, writable: true });
    requestPipe.on('error', () => {});
    requestPipe.end(`${words.length}\0${words.map((word) => `${word}\0`).join('')}`);
    // `exit N` or `signal N`, then the end of the pipe once the helper has ended; nothing said
    // means it was killed (as a timeout does).
    const statusPipe = new Socket({ fd: status, readable: true, writable: false });
    let said = '';
    statusPipe.setEncoding('utf8');
    statusPipe.on('data', (chunk: string) => {
      said += chunk;
    });
    statusPipe.on('error', () => {});
    statusPipe.once('close', () => {
      const [kind, value] = said.trim().split(' ');
      if (kind === 'exit') this.exitCode = Number(value);
      else this.signalCode = (signalNameOf(Number(value ?? 9)) ?? 'SIGKILL') as NodeJS.Signals;
      this.emit('exit', this.exitCode, this.signalCode);
    });
  }
}
