import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DuplexStream,
  ErrorCode,
  type ExecRequest,
  PaddockError,
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
  type StorageReserve,
} from '@paddock/core';
import { BackgroundProcesses, type BackgroundSignal } from './background-processes.ts';
import { SANDBOX_UID } from './bwrap-launcher.ts';
import { type CgroupLayout, detectCgroupLayout } from './cgroup-detect.ts';
import { guardDiskFull, roomCheckedFiles, translateDiskFull } from './disk-full.ts';
import { EgressManager, type EgressOptions, isAllowlist } from './egress-manager.ts';
import { EtcView, SHARED_ETC_VIEWS } from './etc-view.ts';
import { HOST_ENV, type PipedOptions, spawnPiped } from './exec.ts';
import { checkEnv, checkExecRequest } from './exec-request.ts';
import { sandboxFiles } from './files.ts';
import { isGvisor, launchGvisor, signalGvisorProcess, stopGvisor } from './gvisor-sandbox.ts';
import { HelperPool } from './helper-pool.ts';
import { resolveBinaries } from './host-binaries.ts';
import {
  type Argv,
  bindCommand,
  HOST_HELPER,
  type HostBinaries,
  hostnameCommand,
  superviseCommand,
} from './host-commands.ts';
import { resolveHostMounts } from './host-mounts.ts';
import { HOST_UID_CLAIMS_DIR, HostUidClaims, prepareClaimsDir } from './host-uid-claims.ts';
import { Launcher } from './launcher.ts';
import { checkPort, relayCommand, relayStream } from './ports.ts';
import { type ProcessContext, prepareProcess } from './process-command.ts';
import { isAlive } from './process-identity.ts';
import { spawnTty } from './pty.ts';
import {
  checkLaterBind,
  checkReadOnlyFiles,
  commitLaterBind,
  readOnlyFileMounts,
  stageLaterBind,
  writeReadOnlyFiles,
} from './readonly-files.ts';
import {
  DEFAULT_LIMITS,
  type DefaultLimits,
  launchRlimitsOf,
  resolveLimits,
} from './resource-limits.ts';
import { rootlessProblem } from './rootless.ts';
import { createSandboxCgroups, killCgroups, oomKills, removeCgroups } from './sandbox-cgroups.ts';
import {
  type FreezeTarget,
  freezeSandbox,
  isHeldOnDisk,
  pausedError,
  readPause,
  removeFreezerCgroup,
  thawSandbox,
} from './sandbox-freezer.ts';
import { checkHostname, rewriteHostFiles } from './sandbox-hostname.ts';
import { type LaunchContext, launchSandbox } from './sandbox-launch.ts';
import { checkRootfs, createSandboxDirs, initExit } from './sandbox-setup.ts';
import {
  lastActivity,
  listSandboxDirs,
  readState,
  SandboxDirs,
  type SandboxState,
  touchActivity,
  writeState,
} from './sandbox-state.ts';
import { writeSeccompProgram } from './seccomp.ts';
import { LocalSnapshots } from './snapshot-store.ts';
import { checkToolMounts, type ToolMount } from './tool-mounts.ts';
import { LocalVolumes } from './volume-store.ts';
import {
  checkSameWorkspaceSize,
  checkWorkspaceVolume,
  hasWorkspaceSize,
  mountWorkspaceVolume,
  unmountWorkspaceVolume,
  workspaceLimit,
} from './workspace-volume.ts';

export type LimitsPreference = 'auto' | 'cgroup-v2' | 'cgroup-v1' | 'rlimit';

export type LocalRuntimeOptions = {
  /** Where sandboxes live: `<root>/<namespace>/<name>/` (the server passes `$PADDOCK_HOME/sandboxes`). */
  root: string;
  /** Paths of host tools instead of looking them up on PATH (a missing path makes the tool unavailable). */
  binaries?: Partial<HostBinaries>;
  /** How to enforce limits; `auto` picks cgroup v2, then v1, then rlimits. */
  limits?: LimitsPreference;
  /** Limits for sandboxes whose template sets none. */
  defaultLimits?: Partial<DefaultLimits>;
  /** First host uid for sandbox users when running as root; each sandbox gets its own. */
  hostUidBase?: number;
  /** Where host uids are claimed host-wide (`/run/paddock/host-uids`; see `HostUidClaims`). */
  hostUidClaimsDir?: string;
  /** The egress proxies of `allowlist` sandboxes: host services they may reach, a decision log. */
  egress?: EgressOptions;
  /**
   * Host directories bound read-only into every sandbox this runtime starts, at `dest` paths
   * under `/opt/` (the agent harness, a Node.js install, agent CLIs). Checked at construction:
   * `validation_failed` naming `toolMounts[i].source` or `toolMounts[i].dest`.
   */
  toolMounts?: readonly ToolMount[];
  /**
   * The data disk's reserve (the server passes the store's): new sandboxes and file writes are
   * refused with `insufficient_storage` while the disk is full; stop, destroy, exec and the other
   * files operations release it first when the disk is full, so that space can be freed.
   */
  storageReserve?: StorageReserve;
};

const DEFAULT_HOST_UID_BASE = 2_000_000_000;
const STOP_TIMEOUT_MS = 10_000;

/** Creates the local runtime; sandboxes already on disk under `root` are adopted as they are. */
export function createLocalRuntime(options: LocalRuntimeOptions): LocalRuntime {
  return new LocalRuntime(options);
}

/**
 * The SandboxRuntime of one machine: each sandbox is a bubblewrap process tree (see
 * ARCHITECTURE.md, "Local runtime"). All state lives on disk, validated when read back, so a
 * new instance on the same root picks up running sandboxes and background processes at once.
 */
export class LocalRuntime implements SandboxRuntime {
  readonly name = 'local';
  readonly files: SandboxFiles;
  /** Workspace snapshots under `<root>/.snapshots/` (`snapshot-store.ts`). */
  readonly snapshots: LocalSnapshots;
  /** Volumes under `<root>/.volumes/` (`volume-store.ts`). */
  readonly volumes: LocalVolumes;
  readonly #root: string;
  readonly #bin: HostBinaries;
  readonly #missing: string[];
  readonly #layout: CgroupLayout | undefined;
  readonly #defaults: DefaultLimits;
  readonly #hostUids: HostUidClaims;
  readonly #isPrivileged: boolean;
  readonly #egress: EgressManager;
  readonly #toolMounts: readonly ToolMount[];
  readonly #reserve: StorageReserve | undefined;
  /** The compiled seccomp filter every sandbox process runs under (`seccomp.ts`). */
  readonly #seccompFile: string;
  readonly #locks = new Map<string, Promise<unknown>>();
  /** Host helpers started ahead of need, for execs; the launcher starts sandboxes. */
  readonly #helpers: HelperPool;
  readonly #launcher: Launcher;
  readonly #etcView: EtcView;
  /** Why rootless sandboxes cannot start here, probed once on the first provision or start. */
  #rootlessProblem: { problem: string | undefined } | undefined;

  constructor(options: LocalRuntimeOptions) {
    this.#root = resolve(options.root);
    this.#toolMounts = checkToolMounts(options.toolMounts, dirname(this.#root));
    mkdirSync(this.#root, { recursive: true, mode: 0o711 });
    const { binaries, missing } = resolveBinaries(options.binaries);
    this.#bin = binaries;
    this.#launcher = new Launcher(binaries.perl, HOST_HELPER);
    this.#helpers = new HelperPool(binaries.perl, HOST_HELPER, this.#launcher);
    this.#etcView = new EtcView(
      process.getuid?.() === 0 ? SHARED_ETC_VIEWS : join(this.#root, '.system', 'etc'),
    );
    this.#missing = missing;
    this.#isPrivileged = process.getuid?.() === 0;
    const preference = options.limits ?? 'auto';
    this.#layout = preference === 'rlimit' ? undefined : detectCgroupLayout(preference);
    if (preference !== 'auto' && preference !== 'rlimit' && this.#layout === undefined) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `limits through ${preference} are not available here`,
      );
    }
    this.#defaults = { ...DEFAULT_LIMITS, ...options.defaultLimits };
    const claimsDir = options.hostUidClaimsDir ?? HOST_UID_CLAIMS_DIR;
    this.#hostUids = new HostUidClaims(
      this.#root,
      options.hostUidBase ?? DEFAULT_HOST_UID_BASE,
      claimsDir,
    );
    if (this.#isPrivileged) prepareClaimsDir(claimsDir);
    this.#egress = new EgressManager(options.egress);
    this.#reserve = options.storageReserve;
    this.#seccompFile = writeSeccompProgram(this.#root);
    const files = sandboxFiles((ref, command) => this.#execPiped(ref, command));
    this.files = this.#reserve ? roomCheckedFiles(files, this.#reserve) : files;
    this.snapshots = new LocalSnapshots({
      root: this.#root,
      withSandbox: (ref, what, fn) => {
        const dirs = new SandboxDirs(this.#root, ref);
        return this.#locked(dirs, what, () => {
          const state = this.#state(dirs, ref);
          const anchor = state.incarnation?.anchor;
          return fn(dirs, state, anchor !== undefined && isAlive(anchor));
        });
      },
      ownerOf: (state) => this.#ownerOf(state),
    });
    this.volumes = new LocalVolumes(this.#root, this.#isPrivileged);
  }

  /**
   * Whether Paddock runs without root: sandbox users then map to Paddock's own uid, limits come
   * from a delegated cgroup v2 subtree or rlimits, and sandboxes have no `/dev/pts`.
   */
  get isRootless(): boolean {
    return !this.#isPrivileged;
  }

  /** Which mechanism new sandboxes get: `cgroup-v2`, `cgroup-v1` or `rlimit`. */
  get limitsMechanism(): 'cgroup-v2' | 'cgroup-v1' | 'rlimit' {
    return this.#layout?.mechanism ?? 'rlimit';
  }

  /** Stops this instance's egress proxies; sandboxes keep running. */
  async close(): Promise<void> {
    this.#helpers.close();
    this.#launcher.close();
    await this.#egress.closeAll();
  }

  async provision(request: ProvisionRequest): Promise<RuntimeObservation> {
    const dirs = new SandboxDirs(this.#root, request);
    const what = `provision sandbox ${request.namespace}/${request.name}`;
    return this.#locked(dirs, what, async () => {
      const existing = readState(dirs);
      if (existing !== undefined) {
        if (existing.uid !== request.uid) {
          throw new PaddockError(
            ErrorCode.Conflict,
            `sandbox ${request.namespace}/${request.name} exists with another uid; destroy it first`,
          );
        }
        checkSameWorkspaceSize(existing.spec, request.spec);
        return this.#observe(dirs, existing);
      }
      this.#checkAvailable(request.spec);
      checkEnv(request.env ?? {});
      checkReadOnlyFiles(request.readOnlyFiles ?? []);
      this.#reserve?.checkRoom(what);
      const limits = resolveLimits(request.spec.resources, this.#defaults);
      const state: SandboxState = {
        version: 1,
        namespace: request.namespace,
        name: request.name,
        uid: request.uid,
        hostUid: this.#isPrivileged ? this.#hostUids.claim() : (process.getuid?.() ?? 0),
        spec: request.spec,
        ...(request.allowedHostPaths === undefined
          ? {}
          : { allowedHostPaths: [...request.allowedHostPaths] }),
        env: request.env ?? {},
        createdAt: new Date().toISOString(),
        limits: { mechanism: this.limitsMechanism, cgroups: [] },
      };
      try {
        const owner = this.#isPrivileged ? state.hostUid : undefined;
        const layout = this.#layout;
        // Off the event loop and side by side (`sandbox-setup.ts`, `sandbox-cgroups.ts`).
        const [, cgroups] = await Promise.all([
          createSandboxDirs(dirs, owner, isAllowlist(state)),
          layout ? createSandboxCgroups(layout, cgroupKey(this.#root, state), limits) : [],
        ]);
        state.limits.cgroups = cgroups;
        if (request.readOnlyFiles?.length) {
          const group = this.#ownerOf(state);
          state.readOnlyMounts = writeReadOnlyFiles(dirs, request.readOnlyFiles, group);
        }
        await writeState(dirs, state);
        if (request.fromSnapshot) await this.snapshots.seed(request.fromSnapshot, dirs, state);
        await this.#launch(dirs, state);
      } catch (error) {
        // A sandbox that could not start leaves nothing behind: provision stays retryable.
        await this.#remove(dirs, state);
        throw error;
      }
      return this.#observe(dirs, state);
    });
  }

  async observe(ref: SandboxRef): Promise<RuntimeObservation> {
    const dirs = new SandboxDirs(this.#root, ref);
    const state = readState(dirs);
    if (state === undefined || state.uid !== ref.uid) return { state: RuntimeState.Absent };
    return this.#observe(dirs, state);
  }

  async stop(ref: SandboxRef): Promise<RuntimeObservation> {
    const dirs = new SandboxDirs(this.#root, ref);
    this.#reserve?.makeRoom();
    return this.#locked(dirs, `stop sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = this.#state(dirs, ref);
      await this.#kill(dirs, state);
      return this.#observe(dirs, state);
    });
  }

  async start(ref: SandboxRef): Promise<RuntimeObservation> {
    const dirs = new SandboxDirs(this.#root, ref);
    return this.#locked(dirs, `start sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = this.#state(dirs, ref);
      if (state.incarnation && isAlive(state.incarnation.anchor)) return this.#observe(dirs, state);
      await this.#kill(dirs, state);
      this.#checkAvailable(state.spec);
      // A new incarnation starts with no background processes.
      rmSync(dirs.procs, { recursive: true, force: true });
      if (this.#layout) {
        const limits = resolveLimits(state.spec.resources, this.#defaults);
        state.limits = {
          mechanism: this.#layout.mechanism,
          cgroups: await createSandboxCgroups(this.#layout, cgroupKey(this.#root, state), limits),
        };
      }
      await this.#launch(dirs, state);
      return this.#observe(dirs, state);
    });
  }

  /**
   * Freezes every process in place (`sandbox-freezer.ts` picks runsc, the cgroup v2 or v1
   * freezer, else SIGSTOP); exec, files and ports answer `sandbox_paused` until `resume`.
   */
  async pause(ref: SandboxRef): Promise<PauseResult> {
    const dirs = new SandboxDirs(this.#root, ref);
    return this.#locked(dirs, `pause sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = this.#state(dirs, ref);
      const isRunning = state.incarnation !== undefined && isAlive(state.incarnation.anchor);
      if (!isRunning && !isHeldOnDisk(dirs)) {
        throw new PaddockError(
          ErrorCode.InvalidTransition,
          `sandbox ${ref.namespace}/${ref.name} is not running`,
        );
      }
      const { mechanism } = await freezeSandbox(this.#freezeTarget(dirs, state));
      return { ...(await this.#observe(dirs, state)), mechanism };
    });
  }

  /** Thaws a paused sandbox: its processes go on where they were. Idempotent. */
  async resume(ref: SandboxRef): Promise<RuntimeObservation> {
    const dirs = new SandboxDirs(this.#root, ref);
    return this.#locked(dirs, `resume sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = this.#state(dirs, ref);
      await thawSandbox(this.#freezeTarget(dirs, state));
      return this.#observe(dirs, state);
    });
  }

  #freezeTarget(dirs: SandboxDirs, state: SandboxState): FreezeTarget {
    const runsc = isGvisor(state) ? this.#bin.runsc : undefined;
    const what = `restore sandbox ${state.namespace}/${state.name}`;
    // A checkpointed gVisor sandbox's restore (`gvisor-checkpoint.ts`): its host side as a start
    // makes it (a host restart took its cgroups and mounts), a supervisor per restored process.
    const restore = {
      prepare: () => this.#prepareRestore(dirs, state),
      supervise: (dir: string, chain: Argv) =>
        this.#launcher.supervise(superviseCommand(this.#bin, dir, chain), what),
    };
    return { dirs, state, cgroupKey: cgroupKey(this.#root, state), runsc, restore };
  }

  async #prepareRestore(dirs: SandboxDirs, state: SandboxState): Promise<void> {
    if (this.#layout && !state.limits.cgroups.every((dir) => existsSync(dir))) {
      const limits = resolveLimits(state.spec.resources, this.#defaults);
      const key = cgroupKey(this.#root, state);
      const cgroups = await createSandboxCgroups(this.#layout, key, limits);
      state.limits = { mechanism: this.#layout.mechanism, cgroups };
    }
    const size = workspaceLimit(state.spec);
    if (size !== undefined)
      await mountWorkspaceVolume(dirs, size, this.#ownerOf(state) ?? state.hostUid);
    if (state.spec.volumes?.length)
      await this.volumes.mountsFor(state.namespace, state.spec.volumes, []);
    await this.#egress.ensure(dirs, state, this.#ownerOf(state));
  }

  async destroy(ref: SandboxRef): Promise<void> {
    const dirs = new SandboxDirs(this.#root, ref);
    this.#reserve?.makeRoom();
    await this.#locked(dirs, `destroy sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = readState(dirs);
      if (state === undefined || state.uid !== ref.uid) return;
      await this.#remove(dirs, state);
    });
  }

  /**
   * Gives the sandbox another host name (UTS name, `/etc/hostname`, `/etc/hosts`, `$HOSTNAME`),
   * kept across restarts: a claimed warm sandbox takes its claimant's name. A stopped sandbox
   * takes it at its next start. `validation_failed` for a name that is not a DNS label.
   */
  async setHostname(ref: SandboxRef, hostname: string): Promise<void> {
    checkHostname(hostname);
    const dirs = new SandboxDirs(this.#root, ref);
    await this.#locked(dirs, `rename sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = this.#state(dirs, ref);
      const anchor = state.incarnation?.anchor;
      const isRunning = anchor !== undefined && isAlive(anchor);
      // gVisor's kernel keeps the name it started with until its next start. The UTS name is set
      // while the files below are written: both are done before this returns.
      const utsName =
        isRunning && !isGvisor(state)
          ? this.#launcher.run(
              hostnameCommand(this.#bin, anchor.pid, hostname),
              "cannot set the sandbox's host name",
            )
          : undefined;
      // Awaited below; a write failing first must not leave its rejection unhandled.
      utsName?.catch(() => {});
      if (hostname === state.name) delete state.hostname;
      else state.hostname = hostname;
      await writeState(dirs, state);
      if (isRunning) rewriteHostFiles(dirs, hostname);
      await utsName;
    });
  }

  /**
   * Makes `files` read-only at `files.mountPath` in the sandbox, kept across restarts (see
   * `SandboxRuntime.bindReadOnlyFiles`): written root-owned beside the provision-time ones, then,
   * when the sandbox runs, attached into it by a host helper (`bindCommand`); a second bind of the
   * same path replaces the first. `runtime_unavailable` for a running gVisor sandbox (runsc has
   * no live bind: it takes them at its next start) and a running rootless one (the helper needs
   * root to reach both mount namespaces).
   */
  async bindReadOnlyFiles(ref: SandboxRef, files: ReadOnlyFiles): Promise<void> {
    const dirs = new SandboxDirs(this.#root, ref);
    const what = `bind read-only files into sandbox ${ref.namespace}/${ref.name}`;
    await this.#locked(dirs, what, async () => {
      const state = this.#state(dirs, ref);
      const recorded = state.readOnlyMounts ?? [];
      checkLaterBind(files, recorded);
      const existing = recorded.indexOf(files.mountPath);
      const index = existing === -1 ? recorded.length : existing;
      const anchor = state.incarnation?.anchor;
      const isRunning = anchor !== undefined && isAlive(anchor);
      if (isRunning && isGvisor(state)) {
        throw new PaddockError(
          ErrorCode.RuntimeUnavailable,
          `${what}: a running gVisor sandbox cannot take read-only files (runsc has no live bind); they can be given at provision, or bound while it is stopped`,
        );
      }
      if (isRunning && !this.#isPrivileged) {
        throw new PaddockError(
          ErrorCode.RuntimeUnavailable,
          `${what}: a running sandbox takes read-only files only when Paddock runs as root; rootless, give them at provision or bind them while it is stopped`,
        );
      }
      const owner = this.#ownerOf(state);
      const staged = stageLaterBind(dirs, index, files, owner);
      if (isRunning) {
        const argv = bindCommand(this.#bin, {
          anchorPid: anchor.pid,
          source: staged,
          dest: files.mountPath,
          ...(owner === undefined ? {} : { owner: { uid: owner, gid: owner } }),
          replace: existing !== -1,
        });
        await this.#launcher.run(argv, what);
      }
      commitLaterBind(dirs, index);
      const mounts = [...recorded];
      mounts[index] = files.mountPath;
      state.readOnlyMounts = mounts;
      await writeState(dirs, state);
    });
  }

  async list(): Promise<SandboxRef[]> {
    const refs: SandboxRef[] = [];
    for (const entry of listSandboxDirs(this.#root)) {
      const state = readState(new SandboxDirs(this.#root, entry));
      if (state) refs.push({ namespace: state.namespace, name: state.name, uid: state.uid });
    }
    return refs;
  }

  async exec(ref: SandboxRef, request: ExecRequest): Promise<ProcessHandle> {
    const what = `exec in sandbox ${ref.namespace}/${ref.name}`;
    return guardDiskFull(what, () => this.#exec(ref, request), this.#reserve);
  }

  async #exec(ref: SandboxRef, request: ExecRequest): Promise<ProcessHandle> {
    const { cwd } = checkExecRequest(request);
    const { dirs, state } = await this.#running(ref);
    await touchActivity(dirs);
    const processes = this.#processes(dirs, state);
    const timeoutMs =
      request.timeoutMs !== undefined && request.timeoutMs > 0 ? request.timeoutMs : undefined;
    const tty = request.tty === true;
    if (request.background) {
      const id = processes.allocateId(request.processId);
      const prepared = prepareProcess(
        this.#processContext(),
        dirs,
        state,
        request.command,
        cwd,
        request.env ?? {},
        {
          tty,
          processDir: processes.prepare(id),
        },
      );
      return processes.start(
        id,
        request.command,
        {
          file: prepared.argv.file,
          args: prepared.argv.args,
          env: HOST_ENV,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(prepared.onTimeout === undefined ? {} : { onTimeout: prepared.onTimeout }),
        },
        (processDir) =>
          this.#launcher.supervise(
            superviseCommand(this.#bin, processDir, prepared.argv),
            `exec in sandbox ${ref.namespace}/${ref.name}`,
          ),
      );
    }
    const prepared = prepareProcess(
      this.#processContext(),
      dirs,
      state,
      request.command,
      cwd,
      request.env ?? {},
      { tty, isPooled: !tty },
    );
    const options: PipedOptions = {
      onExit: () => {
        prepared.cleanup();
        void touchActivity(dirs);
      },
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(prepared.signal === undefined ? {} : { signalCommand: prepared.signal }),
      ...(prepared.onTimeout === undefined ? {} : { onTimeout: prepared.onTimeout }),
      ...(prepared.reportsSignalsAsCodes ? { reportsSignalsAsCodes: true } : {}),
    };
    if (tty) {
      return spawnTty(prepared.argv, {
        ...options,
        ...(request.cols === undefined ? {} : { cols: request.cols }),
        ...(request.rows === undefined ? {} : { rows: request.rows }),
      });
    }
    return spawnPiped(prepared.argv, { ...options, helpers: this.#helpers });
  }

  async listProcesses(ref: SandboxRef): Promise<ProcessInfo[]> {
    const dirs = new SandboxDirs(this.#root, ref);
    return this.#processes(dirs, this.#state(dirs, ref)).list();
  }

  async attach(ref: SandboxRef, processId: string): Promise<ProcessHandle> {
    const dirs = new SandboxDirs(this.#root, ref);
    const state = this.#state(dirs, ref);
    await touchActivity(dirs);
    return this.#processes(dirs, state).attach(processId);
  }

  async connectPort(ref: SandboxRef, port: number): Promise<DuplexStream> {
    checkPort(port);
    return guardDiskFull(`connect to ${ref.namespace}/${ref.name}:${port}`, async () => {
      const { dirs, state } = await this.#running(ref);
      await touchActivity(dirs);
      return relayStream(this.#spawnPlain(dirs, state, relayCommand(port)), port);
    });
  }

  /** A plain exec for the files API: no egress bridge. */
  async #execPiped(ref: SandboxRef, command: string[]): Promise<ProcessHandle> {
    const what = `files of sandbox ${ref.namespace}/${ref.name}`;
    return guardDiskFull(
      what,
      () => this.#running(ref).then(({ dirs, state }) => this.#spawnPlain(dirs, state, command)),
      this.#reserve,
    );
  }

  #spawnPlain(dirs: SandboxDirs, state: SandboxState, command: string[]): ProcessHandle {
    const prepared = prepareProcess(
      this.#processContext(),
      dirs,
      state,
      command,
      '/',
      {},
      { tty: false, withEgress: false, isPooled: true },
    );
    return spawnPiped(prepared.argv, {
      helpers: this.#helpers,
      onExit: prepared.cleanup,
      ...(prepared.signal === undefined ? {} : { signalCommand: prepared.signal }),
    });
  }

  #processContext(): ProcessContext {
    return {
      bin: this.#bin,
      isPrivileged: this.#isPrivileged,
      seccompFile: this.#seccompFile,
      defaults: this.#defaults,
      runsc: () => this.#runsc(),
    };
  }

  #processes(dirs: SandboxDirs, state: SandboxState): BackgroundProcesses {
    if (!isGvisor(state)) return new BackgroundProcesses(dirs.procs);
    const runsc = this.#runsc();
    const signal: BackgroundSignal = (processDir, _chainPid, name) =>
      signalGvisorProcess(dirs, state, runsc, join(processDir, 'launch.pid'), name);
    return new BackgroundProcesses(dirs.procs, signal, { reportsSignalsAsCodes: true });
  }

  /** The host uid that owns the sandbox's files and sockets (1000 under gVisor, which maps none). */
  #ownerOf(state: SandboxState): number | undefined {
    if (!this.#isPrivileged) return undefined;
    return isGvisor(state) ? SANDBOX_UID : state.hostUid;
  }

  #runsc(): string {
    if (this.#bin.runsc === undefined) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        'isolation "gvisor" needs runsc, which is not installed on this host',
      );
    }
    return this.#bin.runsc;
  }

  async #running(ref: SandboxRef): Promise<{ dirs: SandboxDirs; state: SandboxState }> {
    const dirs = new SandboxDirs(this.#root, ref);
    const state = this.#state(dirs, ref);
    if (readPause(dirs) !== undefined) throw pausedError(ref.namespace, ref.name);
    if (!state.incarnation || !isAlive(state.incarnation.anchor)) {
      throw new PaddockError(
        ErrorCode.InvalidTransition,
        `sandbox ${ref.namespace}/${ref.name} is not running`,
      );
    }
    await this.#egress.ensure(dirs, state, this.#ownerOf(state));
    return { dirs, state };
  }

  #state(dirs: SandboxDirs, ref: SandboxRef): SandboxState {
    const state = readState(dirs);
    if (state === undefined || state.uid !== ref.uid) {
      throw new PaddockError(
        ErrorCode.SandboxNotFound,
        `sandbox ${ref.namespace}/${ref.name} not found`,
      );
    }
    return state;
  }

  async #observe(dirs: SandboxDirs, state: SandboxState): Promise<RuntimeObservation> {
    const activity = await lastActivity(dirs);
    const common = {
      limits: state.limits.mechanism,
      rootless: !this.#isPrivileged,
      ...(activity === undefined ? {} : { lastActivityAt: activity }),
    };
    const { startedAt } = state.incarnation ?? {};
    if (startedAt && isHeldOnDisk(dirs))
      return { state: RuntimeState.Paused, startedAt, ...common };
    if (state.incarnation && isAlive(state.incarnation.anchor)) {
      const { startedAt } = state.incarnation;
      if (readPause(dirs) !== undefined)
        return { state: RuntimeState.Paused, startedAt, ...common };
      await this.#egress.ensure(dirs, state, this.#ownerOf(state));
      return { state: RuntimeState.Running, startedAt: state.incarnation.startedAt, ...common };
    }
    if (state.incarnation) {
      const crash = initExit(dirs);
      if (crash !== undefined) {
        const oom = oomKills(state.limits.cgroups) > 0 ? ' after an out-of-memory kill' : '';
        return {
          state: RuntimeState.Failed,
          message: `the sandbox's init exited with ${crash}${oom}`,
          ...common,
        };
      }
    }
    return { state: RuntimeState.Stopped, ...common };
  }

  #checkAvailable(spec: ProvisionRequest['spec']): void {
    if (this.#missing.length > 0) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `the local runtime needs ${this.#missing.join(', ')} on this host`,
      );
    }
    if (!this.#isPrivileged) {
      this.#rootlessProblem ??= { problem: rootlessProblem(this.#bin.bwrap) };
      const { problem } = this.#rootlessProblem;
      if (problem !== undefined) throw new PaddockError(ErrorCode.RuntimeUnavailable, problem);
    }
    const isolation = spec.isolation ?? 'process';
    if (isolation === 'gvisor' && !this.#isPrivileged) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        'isolation "gvisor" needs Paddock to run as root (rootless Paddock runs bubblewrap only)',
      );
    }
    if (isolation === 'kata') {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        'isolation "kata" is not available in the local runtime',
      );
    }
    if (isolation === 'gvisor') this.#runsc();
    if (spec.rootfs !== undefined) checkRootfs(spec.rootfs, dirname(this.#root));
    checkWorkspaceVolume(workspaceLimit(spec), this.#isPrivileged);
  }

  #launchContext(dirs: SandboxDirs, state: SandboxState): LaunchContext {
    return {
      bin: this.#bin,
      isPrivileged: this.#isPrivileged,
      rlimits:
        state.limits.mechanism === 'rlimit'
          ? launchRlimitsOf(
              resolveLimits(state.spec.resources, this.#defaults),
              !this.#isPrivileged,
            )
          : [],
      // Rootless, bwrap would forbid them from a second user namespace Paddock cannot enter:
      // the seccomp filter refuses new namespaces instead.
      disableNestedUserns: this.#isPrivileged,
      ...(isAllowlist(state) ? { egressDir: dirs.egress } : {}),
      toolMounts: this.#toolMounts,
      seccompFile: this.#seccompFile,
      launcher: this.#launcher,
      ...(state.spec.rootfs === undefined ? { etcView: this.#etcView.current() } : {}),
    };
  }

  async #launch(dirs: SandboxDirs, state: SandboxState): Promise<void> {
    // Resolved at every start: a symlink changed since provision is judged as it is now.
    const hostMounts = [
      ...resolveHostMounts(
        state.spec.mounts,
        state.allowedHostPaths,
        this.#toolMounts,
        dirname(this.#root),
      ),
      ...readOnlyFileMounts(dirs, state.readOnlyMounts),
    ];
    if (state.spec.volumes?.length) {
      const taken = [...hostMounts, ...this.#toolMounts].map((mount) => mount.dest);
      hostMounts.push(
        ...(await this.volumes.mountsFor(state.namespace, state.spec.volumes, taken)),
      );
    }
    await this.#egress.ensure(dirs, state, this.#ownerOf(state));
    const workspaceSize = workspaceLimit(state.spec);
    if (workspaceSize !== undefined) {
      await mountWorkspaceVolume(dirs, workspaceSize, this.#ownerOf(state) ?? state.hostUid);
    }
    state.incarnation = isGvisor(state)
      ? await launchGvisor(dirs, state, this.#runsc(), {
          ...(isAllowlist(state) ? { egressDir: dirs.egress } : {}),
          toolMounts: this.#toolMounts,
          hostMounts,
        })
      : await launchSandbox(dirs, state, { ...this.#launchContext(dirs, state), hostMounts });
    await writeState(dirs, state);
  }

  /** Kills every process of the sandbox and forgets its incarnation; the workspace stays. */
  async #kill(dirs: SandboxDirs, state: SandboxState, isRemoving = false): Promise<void> {
    // A frozen process holds even SIGKILL (cgroup v1, SIGSTOP aside) until it is thawed.
    await thawSandbox(this.#freezeTarget(dirs, state), { isEnding: true });
    const incarnation = state.incarnation;
    delete state.incarnation;
    // Before a removal, the state is deleted next: a crash in between leaves an incarnation
    // whose processes are gone, which the retried removal finds as such.
    if (!isRemoving) await writeState(dirs, state);
    await this.#egress.close(dirs);
    if (isGvisor(state) && this.#bin.runsc !== undefined)
      await stopGvisor(dirs, state, this.#bin.runsc);
    if (incarnation) {
      // pid 1 of the sandbox's pid namespace: the kernel kills every process in it with it.
      for (const identity of [incarnation.anchor, incarnation.monitor]) {
        if (isAlive(identity)) {
          try {
            process.kill(identity.pid, 'SIGKILL');
          } catch {}
        }
      }
    }
    await killCgroups(state.limits.cgroups);
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (
      incarnation &&
      (isAlive(incarnation.anchor) || isAlive(incarnation.monitor)) &&
      Date.now() < deadline
    ) {
      await sleep(2);
    }
    // Their supervisors outlive them by a moment: once stop returns, nothing is listed running.
    await new BackgroundProcesses(dirs.procs).waitForEnd(deadline);
    removeFreezerCgroup(cgroupKey(this.#root, state));
    rmSync(dirs.run, { recursive: true, force: true });
    if (hasWorkspaceSize(state.spec)) await unmountWorkspaceVolume(dirs);
  }

  async #remove(dirs: SandboxDirs, state: SandboxState): Promise<void> {
    await this.#kill(dirs, state, true);
    await removeCgroups(state.limits.cgroups);
    // Every sandbox process is gone, so nothing can swap a path under this recursive delete;
    // retries cover a supervisor writing its exit status at that moment.
    // Off the event loop: a workspace of many files takes a while to delete.
    await rm(dirs.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    try {
      rmdirSync(dirname(dirs.dir));
    } catch {}
    if (this.#isPrivileged) this.#hostUids.release(state.hostUid);
  }

  /**
   * Serialises lifecycle operations on one sandbox within this instance; a failure for lack of
   * disk space leaves as `insufficient_storage` of `what`.
   */
  async #locked<T>(dirs: SandboxDirs, what: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(dirs.dir) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(fn);
    this.#locks.set(dirs.dir, next);
    try {
      return await next;
    } catch (error) {
      throw translateDiskFull(error, what);
    } finally {
      if (this.#locks.get(dirs.dir) === next) this.#locks.delete(dirs.dir);
    }
  }
}

/** Cgroup directory name: the runtime root's tag keeps two data directories (or test runs) apart. */
function cgroupKey(root: string, state: SandboxState): string {
  const tag = createHash('sha256').update(root).digest('hex').slice(0, 8);
  return `${tag}.${state.namespace}.${state.name}`;
}
