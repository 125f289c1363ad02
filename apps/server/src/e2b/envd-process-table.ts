/**
 * The processes envd's `process.Process` service knows in one sandbox, by E2B pid (a uint32).
 *
 * A command without a terminal or stdin is a background process of the runtime whose id is its
 * pid: it survives the client going away and a restart of this server, and its E2B config and
 * tag ride in its recorded command (`backgroundCommand`), so they survive too. A PTY, or a command
 * started with `stdin: true`, needs a live input the runtime's background processes do not have
 * (tty with background is refused; they read no stdin): those are kept here, in this server's
 * memory, as `LiveProcess`es. They survive the client going away, not a restart of this server.
 */
import type {
  ExitStatus,
  ProcessHandle,
  ProcessInfo,
  SandboxRef,
  SandboxRuntime,
} from '@paddock/core';
import { z } from 'zod';

/** What E2B's `ProcessConfig` says of a process. */
export type ProcessConfig = {
  cmd: string;
  args: string[];
  envs: Record<string, string>;
  cwd: string;
};

/** A process as E2B lists it. */
export type E2bProcess = { pid: number; tag?: string; config: ProcessConfig };

/** The lowest pid handed out, so pids do not read like the sandbox's own small ones. */
const FIRST_PID = 1000;
const MAX_PID = 0xffff_ffff;

/** Runs `exec "$@"`, so the recorded command carries E2B's metadata in `$0`. */
const WRAPPER = ['/bin/sh', '-c', 'exec "$@"'] as const;
const MARKER = 'e2b-process:';

const Meta = z.object({
  tag: z.string().optional(),
  envs: z.record(z.string(), z.string()),
  cwd: z.string(),
});

/** The command of a background process that runs `config` and records its tag and config. */
export function backgroundCommand(process: Omit<E2bProcess, 'pid'>): string[] {
  const { config, tag } = process;
  const meta = { ...(tag === undefined ? {} : { tag }), envs: config.envs, cwd: config.cwd };
  return [...WRAPPER, `${MARKER}${JSON.stringify(meta)}`, config.cmd, ...config.args];
}

/** A pid of a background process's id, when it is one. */
export function pidOf(id: string): number | undefined {
  if (!/^[0-9]{1,10}$/.test(id)) return undefined;
  const pid = Number(id);
  return pid <= MAX_PID ? pid : undefined;
}

/** The E2B process a runtime background process is, or undefined for one E2B did not start. */
export function e2bProcessOf(info: ProcessInfo): E2bProcess | undefined {
  const pid = pidOf(info.id);
  const c = info.command;
  if (pid === undefined || c.length < WRAPPER.length + 2) return undefined;
  if (!WRAPPER.every((part, i) => c[i] === part)) return undefined;
  const marker = c[WRAPPER.length] ?? '';
  if (!marker.startsWith(MARKER)) return undefined;
  let meta: z.infer<typeof Meta>;
  try {
    meta = Meta.parse(JSON.parse(marker.slice(MARKER.length)));
  } catch {
    return undefined;
  }
  return {
    pid,
    ...(meta.tag === undefined ? {} : { tag: meta.tag }),
    config: {
      cmd: c[WRAPPER.length + 1] ?? '',
      args: c.slice(WRAPPER.length + 2),
      envs: meta.envs,
      cwd: meta.cwd,
    },
  };
}

export const OutputKind = { Stdout: 'stdout', Stderr: 'stderr', Pty: 'pty' } as const;
export type OutputKind = (typeof OutputKind)[keyof typeof OutputKind];

/** Someone following a live process: its output from now on, then its end. */
export type Subscriber = {
  output(kind: OutputKind, data: Uint8Array): void;
  end(exit: ExitStatus): void;
};

/** A PTY or a command with stdin, held by this server; its output fans out to its subscribers. */
export class LiveProcess implements E2bProcess {
  readonly pid: number;
  readonly tag?: string;
  readonly config: ProcessConfig;
  readonly isPty: boolean;
  readonly hasStdin: boolean;
  readonly #handle: ProcessHandle;
  readonly #subscribers = new Set<Subscriber>();
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #isStdinClosed = false;
  #exit: ExitStatus | undefined;

  constructor(process: E2bProcess & { isPty: boolean; hasStdin: boolean }, handle: ProcessHandle) {
    this.pid = process.pid;
    if (process.tag !== undefined) this.tag = process.tag;
    this.config = process.config;
    this.isPty = process.isPty;
    this.hasStdin = process.hasStdin;
    this.#handle = handle;
    this.#stdin = handle.stdin.getWriter();
    // A failed write surfaces where it is awaited; this only keeps an unread failure quiet.
    this.#stdin.closed.catch(() => {});
  }

  get isRunning(): boolean {
    return this.#exit === undefined;
  }

  /** Follows the process; an ended one gets its end at once. Returns the unsubscribe. */
  subscribe(subscriber: Subscriber): () => void {
    if (this.#exit !== undefined) {
      subscriber.end(this.#exit);
      return () => {};
    }
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }

  /** Reads its output until it ends, then tells every subscriber and calls `onEnd`. */
  run(onEnd: () => void): void {
    const pump = async (readable: ReadableStream<Uint8Array>, kind: OutputKind) => {
      for await (const chunk of readable) {
        for (const subscriber of this.#subscribers) subscriber.output(kind, chunk);
      }
    };
    const unknown: ExitStatus = { exitCode: null, signal: null, timedOut: false };
    void Promise.all([
      pump(this.#handle.stdout, this.isPty ? OutputKind.Pty : OutputKind.Stdout),
      pump(this.#handle.stderr, OutputKind.Stderr),
      this.#handle.exit,
    ])
      .then(([, , exit]) => exit)
      .catch(() => this.#handle.exit.catch(() => unknown))
      .then((exit) => {
        this.#exit = exit;
        this.#isStdinClosed = true;
        void this.#stdin.close().catch(() => {});
        for (const subscriber of this.#subscribers) subscriber.end(exit);
        this.#subscribers.clear();
        onEnd();
      });
  }

  /** Writes to its stdin (its terminal for a PTY); false once stdin is closed. */
  async write(data: Uint8Array): Promise<boolean> {
    if (this.#isStdinClosed) return false;
    await this.#stdin.write(data);
    return true;
  }

  async closeStdin(): Promise<void> {
    if (this.#isStdinClosed) return;
    this.#isStdinClosed = true;
    await this.#stdin.close();
  }

  resize(cols: number, rows: number): Promise<void> {
    return this.#handle.resize(cols, rows);
  }

  signal(signal: string): Promise<void> {
    return this.#handle.signal(signal);
  }
}

function keyOf(ref: SandboxRef): string {
  return `${ref.namespace}/${ref.name}/${ref.uid}`;
}

/** The live processes and the next pid of each sandbox this server serves. */
export class ProcessTable {
  readonly #runtime: SandboxRuntime;
  readonly #live = new Map<string, Map<number, LiveProcess>>();
  readonly #nextPid = new Map<string, Promise<{ next: number }>>();

  constructor(runtime: SandboxRuntime) {
    this.#runtime = runtime;
  }

  /**
   * A pid no process of the sandbox had: one past the highest of its background processes
   * (ended ones included, so a pid is never reused in one incarnation) and its live ones.
   */
  async allocatePid(ref: SandboxRef): Promise<number> {
    const key = keyOf(ref);
    let counter = this.#nextPid.get(key);
    if (counter === undefined) {
      counter = this.#runtime.listProcesses(ref).then((infos) => {
        let highest = FIRST_PID - 1;
        for (const info of infos) highest = Math.max(highest, pidOf(info.id) ?? 0);
        for (const pid of this.#live.get(key)?.keys() ?? []) highest = Math.max(highest, pid);
        return { next: highest + 1 };
      });
      this.#nextPid.set(key, counter);
      counter.catch(() => this.#nextPid.delete(key));
    }
    const state = await counter;
    const pid = state.next;
    state.next = pid >= MAX_PID ? FIRST_PID : pid + 1;
    return pid;
  }

  /** Holds a started live process until it ends. */
  add(ref: SandboxRef, process: LiveProcess): void {
    const key = keyOf(ref);
    let processes = this.#live.get(key);
    if (processes === undefined) {
      processes = new Map();
      this.#live.set(key, processes);
    }
    processes.set(process.pid, process);
    process.run(() => {
      processes.delete(process.pid);
      if (processes.size === 0 && this.#live.get(key) === processes) this.#live.delete(key);
    });
  }

  get(ref: SandboxRef, pid: number): LiveProcess | undefined {
    return this.#live.get(keyOf(ref))?.get(pid);
  }

  list(ref: SandboxRef): LiveProcess[] {
    return [...(this.#live.get(keyOf(ref))?.values() ?? [])];
  }
}

const TABLES = new WeakMap<SandboxRuntime, ProcessTable>();

/** The process table of a runtime (one per server's engine). */
export function processTableOf(runtime: SandboxRuntime): ProcessTable {
  let table = TABLES.get(runtime);
  if (table === undefined) {
    table = new ProcessTable(runtime);
    TABLES.set(runtime, table);
  }
  return table;
}
