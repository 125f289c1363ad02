import { ErrorCode, PaddockError } from './errors.ts';
import type { LimitsMechanism } from './sandbox.ts';
import type { SnapshotRef, SnapshotStorage } from './sandbox-snapshot.ts';
import type { SandboxEnvironment, TemplateKind } from './template.ts';
import type { VolumeStorage } from './volume.ts';

/**
 * The SandboxRuntime seam: what a backend (bubblewrap locally, pods on Kubernetes) must do for one
 * sandbox. Runtimes report facts (`RuntimeObservation`); they never decide lifecycle phases — the
 * reconciler does. Every method is safe to retry. Errors are `PaddockError`s: `sandbox_not_found`
 * for an unknown sandbox (or one whose uid differs), `runtime_unavailable` when the backend
 * cannot run it (missing bwrap or runsc, no privileges), `path_outside_sandbox` for a files path
 * that leaves the sandbox, `validation_failed` for bad arguments, `insufficient_storage` when the
 * disk is full, `timeout`.
 *
 * A stopped sandbox keeps its workspace but serves nothing: `exec`, `connectPort` and every
 * `files` call throw `invalid_transition` until `start`. That is what E2B (a paused sandbox) and
 * Daytona (a stopped one) users know — they resume or start it to reach its files — and the only
 * rule every backend can keep: on Kubernetes a stopped sandbox has no pod to serve its volume, and
 * the local runtime never opens a sandbox's files from the host, where a planted link could
 * redirect it. `listProcesses` and `attach` still serve the stopped incarnation's processes.
 *
 * The shared contract suite (`runtimeContract` in @paddock/testkit) holds every implementation
 * to these rules. Streams are Web Streams so the seam is the same in every implementation.
 */
export interface SandboxRuntime {
  /** `local`, `kubernetes`, … */
  readonly name: string;
  /**
   * Creates the sandbox and starts it (idempotent: an existing one is left as it is and observed).
   * `conflict` when a sandbox of that name exists with another uid.
   */
  provision(request: ProvisionRequest): Promise<RuntimeObservation>;
  /** What the runtime sees now; `state: 'absent'` when it holds nothing for that sandbox. */
  observe(ref: SandboxRef): Promise<RuntimeObservation>;
  /**
   * Stops every process (they are listed ended once it returns); the workspace is kept, `/tmp`
   * is not. Idempotent.
   */
  stop(ref: SandboxRef): Promise<RuntimeObservation>;
  /** Starts a stopped sandbox again: the same workspace, no background processes. Idempotent. */
  start(ref: SandboxRef): Promise<RuntimeObservation>;
  /**
   * Stops it and deletes all its state, workspace included: no process, directory, cgroup or
   * pod of it is left once it returns. Idempotent; an unknown sandbox is a no-op.
   */
  destroy(ref: SandboxRef): Promise<void>;
  /**
   * Optional: gives the sandbox another host name (what `hostname`, `/etc/hostname`,
   * `/etc/hosts` and `$HOSTNAME` say inside), kept across restarts; a stopped sandbox takes it at
   * its next start. The warm pool calls it when a Sandbox claims a pre-provisioned entry, so the
   * claimed sandbox answers to the claimant's name. `validation_failed` for a name that is not a
   * DNS label. A runtime without it keeps the name the sandbox was provisioned with.
   */
  setHostname?(ref: SandboxRef, hostname: string): Promise<void>;
  /**
   * Optional: hands a warm-pool entry (provisioned with `ProvisionRequest.warmPool`) to the
   * Sandbox `claimant` and returns the ref the runtime knows the sandbox by from then on: every
   * later call (and `list`) uses that ref, never the entry's. Atomic: of two claims of one entry,
   * one wins and the other gets `conflict`; `sandbox_not_found` when the entry is gone;
   * `validation_failed` when the entry cannot serve that claimant (another namespace). A runtime
   * that must move an entry to its Sandbox (new owner, namespace) implements it; a runtime
   * without it keeps the entry's ref, renamed with `setHostname` when it has that.
   */
  claim?(entry: SandboxRef, claimant: SandboxRef): Promise<SandboxRef>;
  /**
   * Optional: makes `files` readable and unchangeable at `files.mountPath` in the sandbox, as
   * `ProvisionRequest.readOnlyFiles` does at provision, kept for the sandbox's life (across
   * restarts). A running sandbox sees them at once; a stopped one at its next start. Binding a
   * `mountPath` that is already bound replaces its files. `validation_failed` naming
   * `files.mountPath` or `files.files[i].path` (the rules of `ReadOnlyFiles`, and a mount path
   * inside or around another one); `runtime_unavailable` when the backend cannot attach files to
   * a running sandbox (say why); `sandbox_not_found`. A runtime without it delivers no read-only
   * files after provision: callers must not fall back to copying them in.
   */
  bindReadOnlyFiles?(ref: SandboxRef, files: ReadOnlyFiles): Promise<void>;
  /**
   * Optional: freezes every process of a running sandbox in place (memory kept, no CPU used) and
   * says how (`PauseMechanism`); the sandbox observes `paused` until `resume`. While paused,
   * `exec`, `connectPort` and `files` throw `sandbox_paused`; `stop` and `destroy` still work.
   * Idempotent (pausing a paused sandbox answers the mechanism it holds). `invalid_transition`
   * when it is not running; `runtime_unavailable` when this backend cannot pause it (say why).
   * A runtime without it cannot pause: the reconciler stops idle sandboxes instead.
   */
  pause?(ref: SandboxRef): Promise<PauseResult>;
  /** Optional (with `pause`): thaws a paused sandbox; its processes go on where they were. Idempotent. */
  resume?(ref: SandboxRef): Promise<RuntimeObservation>;
  /**
   * Optional: workspace snapshots that outlive their sandboxes (`SnapshotStorage`), which
   * `ProvisionRequest.fromSnapshot` starts sandboxes from. A runtime without it takes none.
   */
  readonly snapshots?: SnapshotStorage;
  /**
   * Optional: volumes that outlive sandboxes (`VolumeStorage`), mounted by `spec.volumes`. A
   * runtime without it mounts none: the controller refuses sandboxes that name volumes.
   */
  readonly volumes?: VolumeStorage;
  /** Every sandbox this runtime holds (for re-adoption and orphan cleanup). */
  list(): Promise<SandboxRef[]>;
  /**
   * Runs a process inside a running sandbox. A program that does not exist exits 127; a `cwd`
   * that does not exist fails the process before it runs. `validation_failed` for an empty
   * command, a relative cwd, a bad env name, a timeout that is not a whole non-negative number
   * of milliseconds, or `tty` with `background`.
   */
  exec(ref: SandboxRef, request: ExecRequest): Promise<ProcessHandle>;
  /** Background processes of the current incarnation (`background: true`), running or ended. */
  listProcesses(ref: SandboxRef): Promise<ProcessInfo[]>;
  /** Re-attaches to a background process: its output from the start, then live (`not_found`). */
  attach(ref: SandboxRef, processId: string): Promise<ProcessHandle>;
  /** A byte stream to a TCP port inside the sandbox: `not_found` when nothing listens on it. */
  connectPort(ref: SandboxRef, port: number): Promise<DuplexStream>;
  readonly files: SandboxFiles;
}

/** Identifies a sandbox to a runtime. `uid` guards against a recreated sandbox of the same name. */
export type SandboxRef = { namespace: string; name: string; uid: string };

export type ProvisionRequest = SandboxRef & {
  /** The resolved environment (template after inheritance and overrides). */
  spec: SandboxEnvironment;
  /** Extra env for every process (for example the gateway URL and run token). */
  env?: Record<string, string>;
  /**
   * The host directories `hostPath` mounts must lie in once symlinks are resolved: the
   * effective policy's `allowedHostPaths` the sandbox was admitted under. None when absent, so a
   * spec with host mounts is refused (`policy_violation`, `host_path_not_allowed`).
   */
  allowedHostPaths?: readonly string[];
  /** Directories of files bound read-only into the sandbox (credentials' files). */
  readOnlyFiles?: readonly ReadOnlyFiles[];
  /**
   * Seed the new workspace with this snapshot's copy (`SnapshotStorage`); `not_found` when the
   * runtime holds no such snapshot. Ignored when the sandbox exists already.
   */
  fromSnapshot?: SnapshotRef;
  /**
   * Set when the request provisions an unclaimed warm-pool entry of this template's pool (no
   * Sandbox exists for it yet; `claim` hands it to one later). A runtime may keep the entry
   * where the template lives and tie it to the template (on Kubernetes: its namespace and owner);
   * `runtime_unavailable` when it cannot hold entries of such a template (say why).
   */
  warmPool?: {
    /** The template declaring the pool (`namespace` absent for a `ClusterSandboxTemplate`). */
    template: { kind: TemplateKind; name: string; namespace?: string; uid: string };
  };
};

/**
 * A directory of files the sandbox can read but not change, chmod or remove (a CLI's login
 * directory from a `files` credential): the local runtime keeps them outside the sandbox, owned
 * by root, and binds them read-only; on Kubernetes they are a Secret volume. They stay for the
 * sandbox's life (`SandboxRuntime.bindReadOnlyFiles` adds or replaces one later). `validation_failed` naming `readOnlyFiles[i]…` for a `mountPath` that is
 * not absolute or would cover `/`, `/proc`, `/dev` or a whole writable root, or a file `path`
 * that is not relative or holds `..`.
 */
export type ReadOnlyFiles = {
  /** Absolute path of the directory inside the sandbox. */
  mountPath: string;
  files: ReadonlyArray<{
    /** Relative to `mountPath` (`config.json`, `sub/key`). */
    path: string;
    content: Uint8Array;
    /** Permission bits: an execute bit is kept, write bits never are. */
    mode?: number;
  }>;
};

export const RuntimeState = {
  Absent: 'absent',
  Running: 'running',
  /** Its processes are frozen by `pause`. */
  Paused: 'paused',
  Stopped: 'stopped',
  Failed: 'failed',
} as const;
export type RuntimeState = (typeof RuntimeState)[keyof typeof RuntimeState];

/**
 * How a paused sandbox is held: the cgroup v2 freezer (`cgroup.freeze`), the cgroup v1 freezer
 * (`freezer.state`), SIGSTOP/SIGCONT of each of its processes where no freezer is delegated (a
 * process that handles SIGCONT sees it), gVisor's `runsc pause`, a checkpoint image on disk
 * (`runsc checkpoint`: its processes survive a restart of the host), or an in-memory stand-in.
 */
export const PauseMechanism = {
  CgroupV2: 'cgroup-v2-freezer',
  CgroupV1: 'cgroup-v1-freezer',
  Signals: 'sigstop',
  Gvisor: 'runsc-pause',
  Checkpoint: 'checkpoint',
  InMemory: 'in-memory',
} as const;
export type PauseMechanism = (typeof PauseMechanism)[keyof typeof PauseMechanism];

export type PauseResult = RuntimeObservation & { mechanism: PauseMechanism };

export type RuntimeObservation = {
  state: RuntimeState;
  /** When the current incarnation started (RFC 3339). */
  startedAt?: string;
  /** Which mechanism enforces cpu, memory and pids limits. */
  limits?: LimitsMechanism;
  /** The runtime runs without root (local: the sandbox user maps to Paddock's own uid). */
  rootless?: boolean;
  /** Last exec, terminal or port activity (RFC 3339), for idle expiry. */
  lastActivityAt?: string;
  /** For `failed`: what happened (an OOM kill, a crash of the sandbox's init). */
  message?: string;
};

export type ExecRequest = {
  command: string[];
  env?: Record<string, string>;
  /** Absolute path inside the sandbox; `/workspace` by default. */
  cwd?: string;
  /** Allocate a pseudo-terminal (stdout carries both streams; stderr is empty). */
  tty?: boolean;
  cols?: number;
  rows?: number;
  /**
   * Kill the process and its children after this long; the exit is then
   * `{ exitCode: null, signal: 'SIGKILL', timedOut: true }`.
   */
  timeoutMs?: number;
  /** Keep running after the caller goes away; listed by listProcesses and re-attachable. */
  background?: boolean;
  /**
   * A stable id for a background process (`main` for the template's command); generated when
   * absent. `conflict` while a process of that id runs; an ended one's id may be used again.
   */
  processId?: string;
};

export type ExitStatus = {
  /** The exit code, or null when killed by a signal (never the shell's `128 + n` for one). */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
};

export type ProcessHandle = {
  id: string;
  stdin: WritableStream<Uint8Array>;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  resize(cols: number, rows: number): Promise<void>;
  /** Sends a signal by name (`SIGINT`, `SIGTERM`, `SIGKILL`, …). */
  signal(signal: string): Promise<void>;
  exit: Promise<ExitStatus>;
};

export type ProcessInfo = {
  id: string;
  command: string[];
  startedAt: string;
  running: boolean;
  exit?: ExitStatus;
};

export type DuplexStream = {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  close(): Promise<void>;
};

export type FileType = 'file' | 'directory' | 'symlink' | 'other';

export type FileInfo = {
  /** Absolute path inside the sandbox. */
  path: string;
  name: string;
  type: FileType;
  sizeBytes: number;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  modifiedAt: string;
};

/**
 * The `mode` of a `SandboxFiles.write` checked (permission bits 0 to 0o7777, else
 * `validation_failed`) and written in octal, as chmod takes it; `''` when none was given.
 */
export function fileModeOctal(mode: number | undefined): string {
  if (mode === undefined) return '';
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid file mode ${mode}`, {
      issues: [{ path: 'mode', message: 'must be permission bits from 0 to 0o7777' }],
    });
  }
  return mode.toString(8);
}

/** What `SandboxFiles.readStream` answers: the file's size, then exactly that many bytes. */
export type FileReadStream = { sizeBytes: number; stream: ReadableStream<Uint8Array> };

/**
 * Files inside a sandbox, addressed by absolute paths as the sandbox sees them. Only paths under
 * the sandbox's writable roots (`/workspace`, `/tmp`, its home) are served; `..` that leaves them,
 * or a symlink that resolves outside them, is `path_outside_sandbox`; a relative path is
 * `validation_failed`. A missing path is `not_found`; the wrong kind of entry (reading a
 * directory, listing a file, removing a non-empty directory without `recursive`, moving or
 * removing a root) is `validation_failed`. `stat`, `remove` and `move` act on a symlink itself.
 */
export interface SandboxFiles {
  /**
   * A regular file's bytes held in memory whole: at most `MAX_FILE_READ_BYTES` (64 MiB), a
   * larger file is `payload_too_large` naming the limit. For callers that must buffer (one MCP
   * message); everything else streams with `readStream`.
   */
  read(ref: SandboxRef, path: string): Promise<Uint8Array>;
  /**
   * A regular file of any size as a stream of exactly `sizeBytes` bytes. Every refusal
   * (`not_found`, `validation_failed` for a directory or a fifo, `path_outside_sandbox`, the
   * sandbox's state) rejects the promise before any byte is streamed. A failure past that (the
   * sandbox stopped, the file shrank) errors the stream, never ends it early as if whole. The
   * stream pulls from the sandbox only as it is read (a slow reader holds no more than a few
   * chunks in memory); the caller must read it to its end or cancel it.
   */
  readStream(ref: SandboxRef, path: string): Promise<FileReadStream>;
  /** Creates missing parents; a new file gets mode 0o644 unless told, an existing one keeps its. */
  write(
    ref: SandboxRef,
    path: string,
    data: Uint8Array,
    options?: { mode?: number },
  ): Promise<void>;
  /** The directory's entries (not their contents), sorted by name. */
  list(ref: SandboxRef, path: string): Promise<FileInfo[]>;
  stat(ref: SandboxRef, path: string): Promise<FileInfo>;
  mkdir(ref: SandboxRef, path: string): Promise<void>;
  move(ref: SandboxRef, from: string, to: string): Promise<void>;
  remove(ref: SandboxRef, path: string, options?: { recursive?: boolean }): Promise<void>;
  /**
   * Extracts a tar archive into the directory `path` (created if missing). Member names are
   * relative to it, a leading `/` dropped; a member with `..`, or bytes that are no tar archive,
   * are `validation_failed`.
   */
  upload(ref: SandboxRef, path: string, tar: ReadableStream<Uint8Array>): Promise<void>;
  /**
   * A tar archive of `path` (a file or a directory), streamed as it is read. Refusals
   * (`not_found`, `path_outside_sandbox`) reject the promise; an archive that turns out not
   * whole (a file left out or padded, the sandbox stopped) errors the stream at its end. A tree
   * that only changed while archived is whole (each member as read).
   */
  download(ref: SandboxRef, path: string): Promise<ReadableStream<Uint8Array>>;
}
