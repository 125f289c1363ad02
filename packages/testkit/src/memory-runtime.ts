import { constants } from 'node:os';
import {
  type DuplexStream,
  ErrorCode,
  type ExecRequest,
  type ExitStatus,
  fileTooLarge,
  MAX_FILE_READ_BYTES,
  PaddockError,
  PauseMechanism,
  type PauseResult,
  type ProcessHandle,
  type ProcessInfo,
  type ProvisionRequest,
  type ReadOnlyFiles,
  type RuntimeObservation,
  RuntimeState,
  type SandboxFiles,
  type SandboxRef,
  type SandboxRuntime,
} from '@paddock/core';
import { MemoryFileTree } from './memory-files.ts';
import { chunkedStreamOf, collect, encode, streamOf } from './runtime-fixtures.ts';

/** What a scripted command does in the memory runtime. */
export type ScriptedResult = { exitCode: number; stdout?: string; stderr?: string };
export type ExecScript = (ref: SandboxRef, request: ExecRequest) => ScriptedResult;

/** A background process: it runs until signalled, timed out, stopped or ended by `exitProcess`. */
type MemoryProcess = {
  info: ProcessInfo;
  exit: Promise<ExitStatus>;
  end(status: ExitStatus): void;
};

type Entry = {
  ref: SandboxRef;
  state: 'running' | 'paused' | 'stopped';
  files: MemoryFileTree;
  processes: Map<string, MemoryProcess>;
  startedAt: string;
  lastActivityAt?: string;
  hostname?: string;
  readOnlyFiles: readonly ReadOnlyFiles[];
};

/** What the memory runtime is made with (its `restarted()` twin keeps them). */
export type MemoryRuntimeOptions = {
  script?: ExecScript;
  now?: () => Date;
  /**
   * Implements `claim` as the Kubernetes runtime does: a claimed warm entry moves to its
   * claimant's namespace and uid, keeping its name (and answers to the claimant's name). Off by
   * default: the runtime then has no `claim`, as the local runtime.
   */
  claims?: boolean;
};

/** The sandboxes a memory runtime holds; shared by the instances `restarted()` makes. */
type Shared = { entries: Map<string, Entry>; counter: number };

/**
 * A SandboxRuntime that keeps sandboxes in memory: a faithful fake of the seam for testing the
 * reconcilers' decisions. It passes the runtime contract except where a command must really run:
 * `script` decides each foreground command's exit code and output (success by default), and
 * background processes run until signalled, stopped or ended with `exitProcess`. Files follow the
 * local runtime's rules. Every lifecycle, exec and write call is logged in `calls`. Provision
 * requests of warm-pool entries are kept in `warmTemplates` (by `namespace/name`).
 */
export class MemoryRuntime implements SandboxRuntime {
  readonly name = 'memory';
  readonly calls: string[] = [];
  readonly warmTemplates = new Map<string, NonNullable<ProvisionRequest['warmPool']>['template']>();
  /** Present with `claims: true` only. */
  readonly claim?: (entry: SandboxRef, claimant: SandboxRef) => Promise<SandboxRef>;
  readonly #shared: Shared;
  readonly #claims: boolean;
  #script: ExecScript;
  #now: () => Date;

  constructor(options: MemoryRuntimeOptions = {}, shared?: Shared) {
    this.#script = options.script ?? (() => ({ exitCode: 0 }));
    this.#now = options.now ?? (() => new Date());
    this.#claims = options.claims === true;
    this.#shared = shared ?? { entries: new Map(), counter: 0 };
    if (this.#claims) this.claim = (entry, claimant) => this.#claim(entry, claimant);
  }

  /** A new instance over the same sandboxes, as after a restart of the control plane. */
  restarted(): MemoryRuntime {
    return new MemoryRuntime(
      { script: this.#script, now: this.#now, claims: this.#claims },
      this.#shared,
    );
  }

  setScript(script: ExecScript): void {
    this.#script = script;
  }

  /** Simulates the sandbox's processes dying (a crash or a host reboot): the workspace stays. */
  crash(ref: SandboxRef): void {
    this.#halt(this.#get(ref));
  }

  /** Simulates a background process exiting on its own. */
  exitProcess(ref: SandboxRef, id: string, exitCode: number): void {
    this.#get(ref).processes.get(id)?.end({ exitCode, signal: null, timedOut: false });
  }

  async provision(request: ProvisionRequest): Promise<RuntimeObservation> {
    this.calls.push(`provision ${request.namespace}/${request.name}`);
    const existing = this.#shared.entries.get(keyOf(request));
    if (existing && existing.ref.uid !== request.uid) {
      throw new PaddockError(
        ErrorCode.Conflict,
        `sandbox ${request.namespace}/${request.name} exists with another uid; destroy it first`,
      );
    }
    if (request.warmPool !== undefined)
      this.warmTemplates.set(keyOf(request), request.warmPool.template);
    if (!existing) {
      this.#shared.entries.set(keyOf(request), {
        ref: { namespace: request.namespace, name: request.name, uid: request.uid },
        state: 'running',
        files: new MemoryFileTree(this.#now),
        processes: new Map(),
        startedAt: this.#now().toISOString(),
        readOnlyFiles: request.readOnlyFiles ?? [],
      });
    }
    return this.observe(request);
  }

  async observe(ref: SandboxRef): Promise<RuntimeObservation> {
    const entry = this.#shared.entries.get(keyOf(ref));
    if (!entry || entry.ref.uid !== ref.uid) return { state: RuntimeState.Absent };
    return {
      state: entry.state,
      ...(entry.state === 'stopped' ? {} : { startedAt: entry.startedAt }),
      limits: 'rlimit',
      ...(entry.lastActivityAt === undefined ? {} : { lastActivityAt: entry.lastActivityAt }),
    };
  }

  async stop(ref: SandboxRef): Promise<RuntimeObservation> {
    this.calls.push(`stop ${ref.namespace}/${ref.name}`);
    this.#halt(this.#get(ref));
    return this.observe(ref);
  }

  async start(ref: SandboxRef): Promise<RuntimeObservation> {
    this.calls.push(`start ${ref.namespace}/${ref.name}`);
    const entry = this.#get(ref);
    if (entry.state !== 'running') {
      entry.state = 'running';
      entry.startedAt = this.#now().toISOString();
      entry.processes.clear();
    }
    return this.observe(ref);
  }

  /** Marks it paused: exec, files and ports refuse with `sandbox_paused`; processes stay. */
  async pause(ref: SandboxRef): Promise<PauseResult> {
    this.calls.push(`pause ${ref.namespace}/${ref.name}`);
    const entry = this.#get(ref);
    if (entry.state === 'stopped') {
      throw new PaddockError(
        ErrorCode.InvalidTransition,
        `sandbox ${ref.namespace}/${ref.name} is not running`,
      );
    }
    entry.state = 'paused';
    return { ...(await this.observe(ref)), mechanism: PauseMechanism.InMemory };
  }

  async resume(ref: SandboxRef): Promise<RuntimeObservation> {
    this.calls.push(`resume ${ref.namespace}/${ref.name}`);
    const entry = this.#get(ref);
    if (entry.state === 'paused') entry.state = 'running';
    return this.observe(ref);
  }

  async destroy(ref: SandboxRef): Promise<void> {
    this.calls.push(`destroy ${ref.namespace}/${ref.name}`);
    const entry = this.#shared.entries.get(keyOf(ref));
    if (!entry || entry.ref.uid !== ref.uid) return;
    this.#halt(entry);
    this.#shared.entries.delete(keyOf(ref));
  }

  async list(): Promise<SandboxRef[]> {
    return [...this.#shared.entries.values()].map((e) => ({ ...e.ref }));
  }

  async setHostname(ref: SandboxRef, hostname: string): Promise<void> {
    this.calls.push(`hostname ${ref.namespace}/${ref.name} ${hostname}`);
    this.#get(ref).hostname = hostname;
  }

  /**
   * `claim` with `claims: true`: the entry becomes `claimant.namespace/<entry name>` of the
   * claimant's uid. `conflict` when a sandbox of that name is there already.
   */
  async #claim(entry: SandboxRef, claimant: SandboxRef): Promise<SandboxRef> {
    this.calls.push(
      `claim ${entry.namespace}/${entry.name} ${claimant.namespace}/${claimant.name}`,
    );
    const held = this.#get(entry);
    const claimed = { namespace: claimant.namespace, name: entry.name, uid: claimant.uid };
    if (this.#shared.entries.has(keyOf(claimed))) {
      throw new PaddockError(ErrorCode.Conflict, `sandbox ${keyOf(claimed)} exists already`);
    }
    this.#shared.entries.delete(keyOf(entry));
    held.ref = claimed;
    held.hostname = claimant.name;
    this.#shared.entries.set(keyOf(claimed), held);
    return { ...claimed };
  }

  /** Records them, replacing an entry of the same mount path (as the local runtime does). */
  async bindReadOnlyFiles(ref: SandboxRef, files: ReadOnlyFiles): Promise<void> {
    this.calls.push(`bind ${ref.namespace}/${ref.name} ${files.mountPath}`);
    const entry = this.#get(ref);
    entry.readOnlyFiles = [
      ...entry.readOnlyFiles.filter((other) => other.mountPath !== files.mountPath),
      files,
    ];
  }

  /** The read-only files it was provisioned with, then bound. */
  readOnlyFilesOf(ref: SandboxRef): readonly ReadOnlyFiles[] {
    return this.#get(ref).readOnlyFiles;
  }

  /** The sandbox's host name: its name unless `setHostname` gave it another. */
  hostnameOf(ref: SandboxRef): string {
    const entry = this.#get(ref);
    return entry.hostname ?? entry.ref.name;
  }

  async exec(ref: SandboxRef, request: ExecRequest): Promise<ProcessHandle> {
    const entry = this.#running(ref);
    this.calls.push(`exec ${ref.namespace}/${ref.name} ${request.command.join(' ')}`);
    if (request.background) return this.#startBackground(entry, request);
    const result = this.#script(ref, request);
    const status = { exitCode: result.exitCode, signal: null, timedOut: false };
    return handle(`exec-${++this.#shared.counter}`, result, Promise.resolve(status), async (s) => {
      signalName(s);
    });
  }

  async listProcesses(ref: SandboxRef): Promise<ProcessInfo[]> {
    return [...this.#get(ref).processes.values()].map((p) => structuredClone(p.info));
  }

  async attach(ref: SandboxRef, processId: string): Promise<ProcessHandle> {
    const entry = this.#get(ref);
    const process = entry.processes.get(processId);
    if (!process) throw new PaddockError(ErrorCode.NotFound, `no background process ${processId}`);
    this.#touch(entry);
    return backgroundHandle(processId, process);
  }

  async connectPort(ref: SandboxRef, port: number): Promise<DuplexStream> {
    this.#running(ref);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new PaddockError(ErrorCode.ValidationFailed, `invalid port ${port}`);
    }
    throw new PaddockError(ErrorCode.RuntimeUnavailable, 'the memory runtime has no network');
  }

  readonly files: SandboxFiles = {
    read: async (ref, path) => {
      const data = this.#files(ref).read(path);
      if (data.byteLength > MAX_FILE_READ_BYTES) throw fileTooLarge(path);
      return data;
    },
    readStream: async (ref, path) => {
      const data = this.#files(ref).read(path);
      // Each chunk is read from a running sandbox, as a runtime's copy inside it: a stop errors it.
      const stream = chunkedStreamOf(data, () => void this.#files(ref));
      return { sizeBytes: data.byteLength, stream };
    },
    write: async (ref, path, data, options) => {
      this.calls.push(`write ${ref.namespace}/${ref.name} ${path}`);
      this.#files(ref).write(path, data, options?.mode);
    },
    list: async (ref, path) => this.#files(ref).list(path),
    stat: async (ref, path) => this.#files(ref).stat(path),
    mkdir: async (ref, path) => this.#files(ref).mkdir(path),
    move: async (ref, from, to) => this.#files(ref).move(from, to),
    remove: async (ref, path, options) =>
      this.#files(ref).remove(path, options?.recursive === true),
    upload: async (ref, path, tar) => {
      const files = this.#files(ref);
      files.upload(path, await collect(tar));
    },
    download: async (ref, path) =>
      chunkedStreamOf(this.#files(ref).download(path), () => void this.#files(ref)),
  };

  #startBackground(entry: Entry, request: ExecRequest): ProcessHandle {
    const id = request.processId ?? `p-${++this.#shared.counter}`;
    if (entry.processes.get(id)?.info.running) {
      throw new PaddockError(ErrorCode.Conflict, `background process ${id} is still running`);
    }
    let settle: (status: ExitStatus) => void = () => {};
    const exit = new Promise<ExitStatus>((resolve) => {
      settle = resolve;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const info: ProcessInfo = {
      id,
      command: [...request.command],
      startedAt: this.#now().toISOString(),
      running: true,
    };
    const process: MemoryProcess = {
      info,
      exit,
      end: (status) => {
        if (!info.running) return;
        clearTimeout(timer);
        Object.assign(info, { running: false, exit: status });
        settle(status);
      },
    };
    if (request.timeoutMs !== undefined && request.timeoutMs > 0) {
      timer = setTimeout(
        () => process.end({ exitCode: null, signal: 'SIGKILL', timedOut: true }),
        request.timeoutMs,
      );
      timer.unref();
    }
    entry.processes.set(id, process);
    return backgroundHandle(id, process);
  }

  /** Stops every process; /tmp, a tmpfs, goes with them. */
  #halt(entry: Entry): void {
    entry.state = 'stopped';
    for (const p of entry.processes.values()) {
      p.end({ exitCode: null, signal: 'SIGKILL', timedOut: false });
    }
    entry.files.clearTmp();
  }

  #touch(entry: Entry): void {
    entry.lastActivityAt = this.#now().toISOString();
  }

  #files(ref: SandboxRef): MemoryFileTree {
    return this.#running(ref).files;
  }

  /** The rule of the seam: exec, ports and files need a running sandbox. */
  #running(ref: SandboxRef): Entry {
    const entry = this.#get(ref);
    if (entry.state === 'paused') {
      throw new PaddockError(
        ErrorCode.SandboxPaused,
        `sandbox ${ref.namespace}/${ref.name} is paused; resume it first`,
        { phase: 'Paused' },
      );
    }
    if (entry.state !== 'running') {
      throw new PaddockError(
        ErrorCode.InvalidTransition,
        `sandbox ${ref.namespace}/${ref.name} is not running`,
      );
    }
    this.#touch(entry);
    return entry;
  }

  #get(ref: SandboxRef): Entry {
    const entry = this.#shared.entries.get(keyOf(ref));
    if (!entry || entry.ref.uid !== ref.uid) {
      throw new PaddockError(
        ErrorCode.SandboxNotFound,
        `sandbox ${ref.namespace}/${ref.name} not found`,
      );
    }
    return entry;
  }
}

function keyOf(ref: SandboxRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/** The canonical name of a signal (`TERM` → `SIGTERM`); `validation_failed` for an unknown one. */
function signalName(signal: string): string {
  const name = signal.startsWith('SIG') ? signal : `SIG${signal}`;
  if (!Object.hasOwn(constants.signals, name)) {
    throw new PaddockError(ErrorCode.ValidationFailed, `unknown signal ${JSON.stringify(signal)}`);
  }
  return name;
}

function handle(
  id: string,
  result: ScriptedResult,
  exit: Promise<ExitStatus>,
  signal: (name: string) => Promise<void>,
): ProcessHandle {
  return {
    id,
    stdin: new WritableStream(),
    stdout: streamOf(encode(result.stdout ?? '')),
    stderr: streamOf(encode(result.stderr ?? '')),
    resize: async () => {},
    signal,
    exit,
  };
}

function backgroundHandle(id: string, process: MemoryProcess): ProcessHandle {
  return handle(id, { exitCode: 0 }, process.exit, async (signal) => {
    const name = signalName(signal);
    process.end({ exitCode: null, signal: name, timedOut: false });
  });
}
