import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ErrorCode,
  type ExitStatus,
  PaddockError,
  type ProcessHandle,
  type ProcessInfo,
} from '@paddock/core';
import type { z } from 'zod';
import {
  BackgroundChain,
  BackgroundExit,
  type BackgroundLaunch,
  BackgroundMeta,
  encodeLaunch,
  PROCESS_ID,
} from './background-files.ts';
import { DirChanges } from './dir-changes.ts';
import { HELD_FILE } from './gvisor-checkpoint.ts';
import { isAlive, type ProcessIdentity } from './process-identity.ts';
import { signalCommand, signalFromCode, signalName } from './process-signals.ts';

/** A killed process's supervisor records its end within a few ms. */
const SETTLE_POLL_MS = 2;

function readJson<T extends z.ZodType>(path: string, schema: T): z.infer<T> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return schema.parse(JSON.parse(text));
}

/** Signals a background process, given its directory and the pid of its host chain. */
export type BackgroundSignal = (
  processDir: string,
  chainPid: number,
  signal: string,
) => Promise<void>;

/**
 * Starts the detached supervisor of the process whose directory (its `launch.nul`) is ready, and
 * resolves with the supervisor's identity once it has the process.
 */
export type Supervise = (processDir: string) => Promise<ProcessIdentity>;

/** Background processes of one sandbox, kept in `procsDir/<id>/`. */
export class BackgroundProcesses {
  readonly #dir: string;
  readonly #signal: BackgroundSignal;
  readonly #reportsSignalsAsCodes: boolean;

  /**
   * `reportsSignalsAsCodes`: the chain reports a death by signal n as exit code `128 + n`
   * (runsc exec); the signals sent are then recorded in `<id>/signals` to read such codes back.
   */
  constructor(
    procsDir: string,
    signal: BackgroundSignal = (_dir, pid, name) => signalCommand(pid, name),
    options: { reportsSignalsAsCodes?: boolean } = {},
  ) {
    this.#dir = procsDir;
    this.#signal = signal;
    this.#reportsSignalsAsCodes = options.reportsSignalsAsCodes === true;
  }

  /** The directory of a background process (its files: launch, output, exit). */
  dirOf(id: string): string {
    return join(this.#dir, id);
  }

  /** Checks a requested id, or makes one; an id still running is a `conflict`. */
  allocateId(requested: string | undefined): string {
    if (requested === undefined) return `p-${randomBytes(6).toString('hex')}`;
    if (!PROCESS_ID.test(requested)) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `invalid process id ${JSON.stringify(requested)}`,
        {
          issues: [{ path: 'processId', message: 'letters, digits, ".", "_" and "-", at most 63' }],
        },
      );
    }
    const info = this.#info(requested);
    if (info?.running) {
      throw new PaddockError(
        ErrorCode.Conflict,
        `background process ${requested} is still running`,
      );
    }
    rmSync(join(this.#dir, requested), { recursive: true, force: true });
    return requested;
  }

  /** Creates the directory of a new background process (before its launch is known). */
  prepare(id: string): string {
    const dir = join(this.#dir, id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /**
   * Starts a new background process through `supervise` (which starts its detached supervisor)
   * and returns a handle attached to it.
   */
  async start(
    id: string,
    command: string[],
    launch: BackgroundLaunch,
    supervise: Supervise,
  ): Promise<ProcessHandle> {
    const dir = this.prepare(id);
    // `stdout` and `stderr` are made by the process's chain (a reader waits for them).
    writeFileSync(join(dir, 'launch.nul'), encodeLaunch(launch), { mode: 0o600 });
    const supervisor = await supervise(dir);
    const meta: BackgroundMeta = {
      id,
      command,
      startedAt: new Date().toISOString(),
      supervisor,
    };
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta), { mode: 0o600 });
    return this.attach(id);
  }

  /**
   * Waits until every supervisor has recorded its process's end and exited (once killed), up to
   * `deadline`: one that wrote its exit status is still there for a moment after.
   */
  async waitForEnd(deadline: number): Promise<void> {
    while (this.#supervisors().some(isAlive) && Date.now() < deadline) await sleep(SETTLE_POLL_MS);
  }

  #supervisors(): ProcessIdentity[] {
    if (!existsSync(this.#dir)) return [];
    return readdirSync(this.#dir).flatMap(
      (id) => readJson(join(this.#dir, id, 'meta.json'), BackgroundMeta)?.supervisor ?? [],
    );
  }

  list(): ProcessInfo[] {
    if (!existsSync(this.#dir)) return [];
    const infos: ProcessInfo[] = [];
    for (const id of readdirSync(this.#dir).sort()) {
      const info = this.#info(id);
      if (info) infos.push(info);
    }
    return infos.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  #info(id: string): ProcessInfo | undefined {
    const dir = join(this.#dir, id);
    const meta = readJson(join(dir, 'meta.json'), BackgroundMeta);
    if (!meta) return undefined;
    const readExit = () => readJson(join(dir, 'exit.json'), BackgroundExit);
    let exit = readExit();
    const info: ProcessInfo = {
      id,
      command: meta.command,
      startedAt: meta.startedAt,
      running: false,
    };
    // A gVisor checkpoint holds it: it runs on after the restore (`gvisor-checkpoint.ts`).
    if (existsSync(join(dir, HELD_FILE))) return { ...info, running: true };
    if (!exit) {
      info.running = isAlive(meta.supervisor);
      // The supervisor writes exit.json and exits at once: it may have done both between the
      // two reads above.
      if (!info.running) exit = readExit();
    }
    if (exit) info.exit = this.#statusOf(dir, exit);
    return info;
  }

  #statusOf(dir: string, exit: BackgroundExit): ExitStatus {
    const status = { exitCode: exit.exitCode, signal: exit.signal, timedOut: exit.timedOut };
    if (!this.#reportsSignalsAsCodes) return status;
    let sent: string[] = [];
    try {
      sent = readFileSync(join(dir, 'signals'), 'utf8').split('\n');
    } catch {}
    return signalFromCode(status, exit.timedOut ? [...sent, 'SIGKILL'] : sent);
  }

  /** Its output from the start, then live until it ends; a `not_found` error for an unknown id. */
  attach(id: string): ProcessHandle {
    const dir = join(this.#dir, id);
    if (!PROCESS_ID.test(id) || !existsSync(join(dir, 'meta.json'))) {
      throw new PaddockError(ErrorCode.NotFound, `no background process ${JSON.stringify(id)}`);
    }
    const isDone = (): boolean => this.#info(id)?.running !== true;
    return {
      id,
      stdin: new WritableStream<Uint8Array>({
        write() {
          throw new PaddockError(ErrorCode.ValidationFailed, 'background processes read no stdin');
        },
      }),
      stdout: followFile(join(dir, 'stdout'), isDone),
      stderr: followFile(join(dir, 'stderr'), isDone),
      resize: async () => {},
      signal: async (signal) => {
        const name = signalName(signal);
        if (this.#reportsSignalsAsCodes && !isDone()) {
          appendFileSync(join(dir, 'signals'), `${name}\n`, { mode: 0o600 });
        }
        // Right after start the supervisor may not have spawned the chain yet.
        for (let attempt = 0; attempt < 200 && !isDone(); attempt += 1) {
          const chain = readJson(join(dir, 'chain.json'), BackgroundChain);
          if (chain?.pid) return this.#signal(dir, chain.pid, signal);
          await sleep(20);
        }
      },
      exit: waitForExit(dir, () => this.#info(id)),
    };
  }
}

/**
 * An exit status that is polled for only once someone awaits it: a handle whose exit nobody
 * reads (a main process started and left) must not keep Paddock busy, and one that is awaited
 * must keep the event loop alive until the process ends. A subclass, because `await` on a plain
 * promise never calls an overridden `then`.
 */
class PolledExit extends Promise<ExitStatus> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  onFirstThen: (() => void) | undefined;
  // biome-ignore lint/suspicious/noThenProperty: the point of this class is a lazy `then`.
  override then<A = ExitStatus, B = never>(
    onFulfilled?: ((value: ExitStatus) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    const start = this.onFirstThen;
    this.onFirstThen = undefined;
    start?.();
    return super.then(onFulfilled, onRejected);
  }
}

function waitForExit(dir: string, info: () => ProcessInfo | undefined): Promise<ExitStatus> {
  let resolveExit: (status: ExitStatus) => void = () => {};
  const exit = new PolledExit((resolve) => {
    resolveExit = resolve;
  });
  exit.onFirstThen = () => {
    const changes = new DirChanges(dir);
    changes.start();
    void (async () => {
      for (;;) {
        const current = info();
        if (current === undefined || !current.running) {
          changes.close();
          resolveExit(current?.exit ?? { exitCode: null, signal: null, timedOut: false });
          return;
        }
        await changes.changed();
      }
    })();
  };
  return exit;
}

/** A file read from its start and followed as it grows, until `isDone` and fully read. */
function followFile(path: string, isDone: () => boolean): ReadableStream<Uint8Array> {
  let fd: number | undefined;
  let offset = 0;
  let isCancelled = false;
  // Output and the exit status are files of the same directory: any of them wakes the reader.
  const changes = new DirChanges(dirname(path));
  const close = (): void => {
    changes.close();
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Watching before reading: a write after the read below wakes the wait after it.
      changes.start();
      while (!isCancelled) {
        // Decide "done" before reading, so output written just before the end is not lost.
        const done = isDone();
        fd ??= openIfMade(path);
        const buffer = Buffer.allocUnsafe(64 * 1024);
        const n = fd === undefined ? 0 : readSync(fd, buffer, 0, buffer.length, offset);
        if (n > 0) {
          offset += n;
          controller.enqueue(new Uint8Array(buffer.subarray(0, n)));
          return;
        }
        if (done) {
          close();
          controller.close();
          return;
        }
        await changes.changed();
      }
    },
    cancel() {
      isCancelled = true;
      close();
    },
  });
}

/** The file opened for reading, or undefined while it is not made yet. */
function openIfMade(path: string): number | undefined {
  try {
    return openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
