import {
  ErrorCode,
  type ExecRequest,
  type ExitStatus,
  type FileInfo,
  PaddockError,
  type ProcessHandle,
  type ProcessInfo,
  type ProvisionRequest,
  type RuntimeObservation,
  RuntimeState,
  type SandboxFiles,
  type SandboxRef,
  type SandboxRuntime,
} from '@paddock/core';

/** What a scripted command does in the memory runtime. */
export type ScriptedResult = { exitCode: number; stdout?: string; stderr?: string };
export type ExecScript = (ref: SandboxRef, request: ExecRequest) => ScriptedResult;

type Entry = {
  ref: SandboxRef;
  request: ProvisionRequest;
  state: 'running' | 'stopped';
  files: Map<string, Uint8Array>;
  processes: Map<string, ProcessInfo>;
  startedAt: string;
};

/**
 * A SandboxRuntime that keeps sandboxes in memory: a faithful fake of the seam for testing the
 * reconcilers' decisions (the real runtimes run the same contract). Commands do not run: `script`
 * decides their exit code and output (success by default). Every call is logged in `calls`.
 */
export class MemoryRuntime implements SandboxRuntime {
  readonly name = 'memory';
  readonly calls: string[] = [];
  readonly #entries = new Map<string, Entry>();
  #script: ExecScript;
  #now: () => Date;

  constructor(options: { script?: ExecScript; now?: () => Date } = {}) {
    this.#script = options.script ?? (() => ({ exitCode: 0 }));
    this.#now = options.now ?? (() => new Date());
  }

  setScript(script: ExecScript): void {
    this.#script = script;
  }

  /** Simulates the sandbox's processes dying (a crash or a host reboot): the workspace stays. */
  crash(ref: SandboxRef): void {
    const entry = this.#get(ref);
    entry.state = 'stopped';
    for (const p of entry.processes.values()) p.running = false;
  }

  /** Simulates a background process exiting on its own. */
  exitProcess(ref: SandboxRef, id: string, exitCode: number): void {
    const p = this.#get(ref).processes.get(id);
    if (p) Object.assign(p, { running: false, exit: { exitCode, signal: null, timedOut: false } });
  }

  async provision(request: ProvisionRequest): Promise<RuntimeObservation> {
    this.calls.push(`provision ${request.namespace}/${request.name}`);
    const key = keyOf(request);
    if (!this.#entries.has(key)) {
      this.#entries.set(key, {
        ref: { namespace: request.namespace, name: request.name, uid: request.uid },
        request,
        state: 'running',
        files: new Map(),
        processes: new Map(),
        startedAt: this.#now().toISOString(),
      });
    }
    return this.observe(request);
  }

  async observe(ref: SandboxRef): Promise<RuntimeObservation> {
    const entry = this.#entries.get(keyOf(ref));
    if (!entry) return { state: RuntimeState.Absent };
    return { state: entry.state, startedAt: entry.startedAt, limits: 'rlimit' };
  }

  async stop(ref: SandboxRef): Promise<RuntimeObservation> {
    this.calls.push(`stop ${ref.namespace}/${ref.name}`);
    const entry = this.#get(ref);
    entry.state = 'stopped';
    for (const p of entry.processes.values()) p.running = false;
    return this.observe(ref);
  }

  async start(ref: SandboxRef): Promise<RuntimeObservation> {
    this.calls.push(`start ${ref.namespace}/${ref.name}`);
    const entry = this.#get(ref);
    if (entry.state !== 'running') {
      entry.state = 'running';
      entry.startedAt = this.#now().toISOString();
    }
    return this.observe(ref);
  }

  async destroy(ref: SandboxRef): Promise<void> {
    this.calls.push(`destroy ${ref.namespace}/${ref.name}`);
    this.#entries.delete(keyOf(ref));
  }

  async list(): Promise<SandboxRef[]> {
    return [...this.#entries.values()].map((e) => e.ref);
  }

  async exec(ref: SandboxRef, request: ExecRequest): Promise<ProcessHandle> {
    const entry = this.#get(ref);
    if (entry.state !== 'running') {
      throw new PaddockError(ErrorCode.InvalidTransition, `sandbox ${ref.name} is not running`);
    }
    this.calls.push(`exec ${ref.namespace}/${ref.name} ${request.command.join(' ')}`);
    const id = request.processId ?? `p${entry.processes.size + 1}`;
    if (request.background) {
      entry.processes.set(id, {
        id,
        command: request.command,
        startedAt: this.#now().toISOString(),
        running: true,
      });
      return handle(id, { exitCode: 0 }, new Promise<ExitStatus>(() => {}));
    }
    const result = this.#script(ref, request);
    return handle(
      id,
      result,
      Promise.resolve({ exitCode: result.exitCode, signal: null, timedOut: false }),
    );
  }

  async listProcesses(ref: SandboxRef): Promise<ProcessInfo[]> {
    return [...this.#get(ref).processes.values()].map((p) => ({ ...p }));
  }

  async attach(ref: SandboxRef, processId: string): Promise<ProcessHandle> {
    const p = this.#get(ref).processes.get(processId);
    if (!p) throw new PaddockError(ErrorCode.NotFound, `no process ${processId}`);
    return handle(processId, { exitCode: 0 }, new Promise<ExitStatus>(() => {}));
  }

  async connectPort(): Promise<never> {
    throw new PaddockError(ErrorCode.RuntimeUnavailable, 'the memory runtime has no network');
  }

  readonly files: SandboxFiles = {
    read: async (ref, path) => {
      const data = this.#get(ref).files.get(path);
      if (!data) throw new PaddockError(ErrorCode.NotFound, `${path} does not exist`);
      return data;
    },
    write: async (ref, path, data) => {
      this.calls.push(`write ${ref.namespace}/${ref.name} ${path}`);
      this.#get(ref).files.set(path, data);
    },
    list: async (ref, path) =>
      [...this.#get(ref).files.keys()]
        .filter((p) => p.startsWith(`${path}/`))
        .map((p) => this.#info(ref, p)),
    stat: async (ref, path) => this.#info(ref, path),
    mkdir: async () => {},
    move: async (ref, from, to) => {
      const files = this.#get(ref).files;
      const data = files.get(from);
      if (!data) throw new PaddockError(ErrorCode.NotFound, `${from} does not exist`);
      files.delete(from);
      files.set(to, data);
    },
    remove: async (ref, path) => {
      this.#get(ref).files.delete(path);
    },
    upload: async () => {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        'archives are not supported by the memory runtime',
      );
    },
    download: async () => {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        'archives are not supported by the memory runtime',
      );
    },
  };

  #info(ref: SandboxRef, path: string): FileInfo {
    const data = this.#get(ref).files.get(path);
    if (!data) throw new PaddockError(ErrorCode.NotFound, `${path} does not exist`);
    return {
      path,
      name: path.split('/').pop() ?? path,
      type: 'file',
      sizeBytes: data.byteLength,
      mode: 0o644,
      modifiedAt: this.#now().toISOString(),
    };
  }

  #get(ref: SandboxRef): Entry {
    const entry = this.#entries.get(keyOf(ref));
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

function streamOf(text: string | undefined): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (text) controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

function handle(id: string, result: ScriptedResult, exit: Promise<ExitStatus>): ProcessHandle {
  return {
    id,
    stdin: new WritableStream(),
    stdout: streamOf(result.stdout),
    stderr: streamOf(result.stderr),
    resize: async () => {},
    signal: async () => {},
    exit,
  };
}
