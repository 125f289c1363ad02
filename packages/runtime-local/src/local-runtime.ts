import { rmSync } from 'node:fs';
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
import { guardDiskFull, roomCheckedFiles } from './disk-full.ts';
import { type EgressOptions, isAllowlist } from './egress-manager.ts';
import { checkEnv } from './exec-request.ts';
import { sandboxFiles } from './files.ts';
import { followSeeded } from './gvisor-snapshot.ts';
import type { HostBinaries } from './host-commands.ts';
import { checkPort, relayCommand, relayStream } from './ports.ts';
import { isAlive } from './process-identity.ts';
import { checkReadOnlyFiles, writeReadOnlyFiles } from './readonly-files.ts';
import { type DefaultLimits, resolveLimits } from './resource-limits.ts';
import {
  cgroupKey,
  locked,
  openRuntimeHost,
  ownerOf,
  type RuntimeHost,
  runningSandbox,
  stateOf,
} from './runtime-host.ts';
import { bindReadOnlyFiles, setHostname } from './sandbox-binds.ts';
import { createSandboxCgroups } from './sandbox-cgroups.ts';
import { execInSandbox, execPiped, processesOf, spawnPlain } from './sandbox-exec.ts';
import { freezeSandbox, isHeldOnDisk, thawSandbox } from './sandbox-freezer.ts';
import {
  canPrepareInLauncher,
  checkAvailable,
  freezeTarget,
  killSandbox,
  launch,
  newSandboxSteps,
  observeSandbox,
  removeSandbox,
} from './sandbox-lifecycle.ts';
import { createSandboxDirs } from './sandbox-setup.ts';
import {
  listSandboxDirs,
  readState,
  SandboxDirs,
  type SandboxState,
  touchActivity,
  writeState,
} from './sandbox-state.ts';
import { LocalSnapshots } from './snapshot-store.ts';
import type { ToolMount } from './tool-mounts.ts';
import type { LocalVolumes } from './volume-store.ts';
import { checkSameWorkspaceSize } from './workspace-volume.ts';

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

/** Creates the local runtime; sandboxes already on disk under `root` are adopted as they are. */
export function createLocalRuntime(options: LocalRuntimeOptions): LocalRuntime {
  return new LocalRuntime(options);
}

/**
 * The SandboxRuntime of one machine: each sandbox is a bubblewrap process tree (see
 * ARCHITECTURE.md, "Local runtime"). All state lives on disk, validated when read back, so a
 * new instance on the same root picks up running sandboxes and background processes at once.
 * The work is done in `sandbox-lifecycle.ts` (incarnations), `sandbox-exec.ts` (processes) and
 * `sandbox-binds.ts` (host name, read-only files), on the parts in `runtime-host.ts`.
 */
export class LocalRuntime implements SandboxRuntime {
  readonly name = 'local';
  readonly files: SandboxFiles;
  /** Workspace snapshots under `<root>/.snapshots/` (`snapshot-store.ts`). */
  readonly snapshots: LocalSnapshots;
  /** Volumes under `<root>/.volumes/` (`volume-store.ts`). */
  readonly volumes: LocalVolumes;
  readonly #host: RuntimeHost;

  constructor(options: LocalRuntimeOptions) {
    const host = openRuntimeHost(options);
    this.#host = host;
    this.volumes = host.volumes;
    const files = sandboxFiles((ref, command) => execPiped(host, ref, command));
    this.files = host.reserve ? roomCheckedFiles(files, host.reserve) : files;
    this.snapshots = new LocalSnapshots({
      root: host.root,
      withSandbox: (ref, what, fn) => {
        const dirs = new SandboxDirs(host.root, ref);
        return locked(host, dirs, what, () => {
          const state = stateOf(dirs, ref);
          const anchor = state.incarnation?.anchor;
          const target = freezeTarget(host, dirs, state);
          return fn(dirs, state, anchor !== undefined && isAlive(anchor), target);
        });
      },
      ownerOf: (state) => ownerOf(host, state),
    });
  }

  /**
   * Whether Paddock runs without root: sandbox users then map to Paddock's own uid, limits come
   * from a delegated cgroup v2 subtree or rlimits, and sandboxes have no `/dev/pts`.
   */
  get isRootless(): boolean {
    return !this.#host.isPrivileged;
  }

  /** Which mechanism new sandboxes get: `cgroup-v2`, `cgroup-v1` or `rlimit`. */
  get limitsMechanism(): 'cgroup-v2' | 'cgroup-v1' | 'rlimit' {
    return this.#host.layout?.mechanism ?? 'rlimit';
  }

  /** Stops this instance's egress proxies; sandboxes keep running. */
  async close(): Promise<void> {
    this.#host.helpers.close();
    this.#host.launcher.close();
    await this.#host.egress.closeAll();
  }

  async provision(request: ProvisionRequest): Promise<RuntimeObservation> {
    const host = this.#host;
    const dirs = new SandboxDirs(host.root, request);
    const what = `provision sandbox ${request.namespace}/${request.name}`;
    return locked(host, dirs, what, async () => {
      const existing = readState(dirs);
      if (existing !== undefined) {
        if (existing.uid !== request.uid) {
          throw new PaddockError(
            ErrorCode.Conflict,
            `sandbox ${request.namespace}/${request.name} exists with another uid; destroy it first`,
          );
        }
        checkSameWorkspaceSize(existing.spec, request.spec);
        return observeSandbox(host, dirs, existing);
      }
      checkAvailable(host, request.spec);
      checkEnv(request.env ?? {});
      checkReadOnlyFiles(request.readOnlyFiles ?? []);
      host.reserve?.checkRoom(what);
      const limits = resolveLimits(request.spec.resources, host.defaults);
      const state: SandboxState = {
        version: 1,
        namespace: request.namespace,
        name: request.name,
        uid: request.uid,
        hostUid: host.isPrivileged ? host.hostUids.claim() : (process.getuid?.() ?? 0),
        spec: request.spec,
        ...(request.allowedHostPaths === undefined
          ? {}
          : { allowedHostPaths: [...request.allowedHostPaths] }),
        env: request.env ?? {},
        createdAt: new Date().toISOString(),
        limits: { mechanism: this.limitsMechanism, cgroups: [] },
      };
      try {
        if (canPrepareInLauncher(request, state)) {
          // Its directories, cgroups and state made by the launcher's watcher, then the start.
          await launch(host, dirs, state, newSandboxSteps(host, dirs, state, limits));
          return observeSandbox(host, dirs, state);
        }
        const owner = host.isPrivileged ? state.hostUid : undefined;
        const layout = host.layout;
        // Off the event loop and side by side (`sandbox-setup.ts`, `sandbox-cgroups.ts`).
        const [, cgroups] = await Promise.all([
          createSandboxDirs(dirs, owner, isAllowlist(state)),
          layout ? createSandboxCgroups(layout, cgroupKey(host.root, state), limits) : [],
        ]);
        state.limits.cgroups = cgroups;
        if (request.readOnlyFiles?.length) {
          const group = ownerOf(host, state);
          state.readOnlyMounts = writeReadOnlyFiles(dirs, request.readOnlyFiles, group);
        }
        await writeState(dirs, state);
        if (request.fromSnapshot) await this.snapshots.seed(request.fromSnapshot, dirs, state);
        await launch(host, dirs, state);
        // Restored from a snapshot's memory: the processes it holds get their supervisors.
        await followSeeded(freezeTarget(host, dirs, state));
      } catch (error) {
        // A sandbox that could not start leaves nothing behind: provision stays retryable.
        await removeSandbox(host, dirs, state);
        throw error;
      }
      return observeSandbox(host, dirs, state);
    });
  }

  async observe(ref: SandboxRef): Promise<RuntimeObservation> {
    const dirs = new SandboxDirs(this.#host.root, ref);
    const state = readState(dirs);
    if (state === undefined || state.uid !== ref.uid) return { state: RuntimeState.Absent };
    return observeSandbox(this.#host, dirs, state);
  }

  async stop(ref: SandboxRef): Promise<RuntimeObservation> {
    const host = this.#host;
    const dirs = new SandboxDirs(host.root, ref);
    host.reserve?.makeRoom();
    return locked(host, dirs, `stop sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = stateOf(dirs, ref);
      await killSandbox(host, dirs, state);
      return observeSandbox(host, dirs, state);
    });
  }

  async start(ref: SandboxRef): Promise<RuntimeObservation> {
    const host = this.#host;
    const dirs = new SandboxDirs(host.root, ref);
    return locked(host, dirs, `start sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = stateOf(dirs, ref);
      if (state.incarnation && isAlive(state.incarnation.anchor))
        return observeSandbox(host, dirs, state);
      await killSandbox(host, dirs, state);
      checkAvailable(host, state.spec);
      // A new incarnation starts with no background processes.
      rmSync(dirs.procs, { recursive: true, force: true });
      if (host.layout) {
        const limits = resolveLimits(state.spec.resources, host.defaults);
        state.limits = {
          mechanism: host.layout.mechanism,
          cgroups: await createSandboxCgroups(host.layout, cgroupKey(host.root, state), limits),
        };
      }
      await launch(host, dirs, state);
      return observeSandbox(host, dirs, state);
    });
  }

  /**
   * Freezes every process in place (`sandbox-freezer.ts` picks runsc, the cgroup v2 or v1
   * freezer, else SIGSTOP); exec, files and ports answer `sandbox_paused` until `resume`.
   */
  async pause(ref: SandboxRef): Promise<PauseResult> {
    const host = this.#host;
    const dirs = new SandboxDirs(host.root, ref);
    return locked(host, dirs, `pause sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = stateOf(dirs, ref);
      const isRunning = state.incarnation !== undefined && isAlive(state.incarnation.anchor);
      if (!isRunning && !isHeldOnDisk(dirs)) {
        throw new PaddockError(
          ErrorCode.InvalidTransition,
          `sandbox ${ref.namespace}/${ref.name} is not running`,
        );
      }
      const { mechanism } = await freezeSandbox(freezeTarget(host, dirs, state));
      return { ...(await observeSandbox(host, dirs, state)), mechanism };
    });
  }

  /** Thaws a paused sandbox: its processes go on where they were. Idempotent. */
  async resume(ref: SandboxRef): Promise<RuntimeObservation> {
    const host = this.#host;
    const dirs = new SandboxDirs(host.root, ref);
    return locked(host, dirs, `resume sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = stateOf(dirs, ref);
      await thawSandbox(freezeTarget(host, dirs, state));
      return observeSandbox(host, dirs, state);
    });
  }

  async destroy(ref: SandboxRef): Promise<void> {
    const host = this.#host;
    const dirs = new SandboxDirs(host.root, ref);
    host.reserve?.makeRoom();
    await locked(host, dirs, `destroy sandbox ${ref.namespace}/${ref.name}`, async () => {
      const state = readState(dirs);
      if (state === undefined || state.uid !== ref.uid) return;
      await removeSandbox(host, dirs, state);
    });
  }

  /**
   * Gives the sandbox another host name (UTS name, `/etc/hostname`, `/etc/hosts`, `$HOSTNAME`),
   * kept across restarts: a claimed warm sandbox takes its claimant's name. A stopped sandbox
   * takes it at its next start. `validation_failed` for a name that is not a DNS label.
   */
  async setHostname(ref: SandboxRef, hostname: string): Promise<void> {
    await setHostname(this.#host, ref, hostname);
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
    await bindReadOnlyFiles(this.#host, ref, files);
  }

  async list(): Promise<SandboxRef[]> {
    const refs: SandboxRef[] = [];
    for (const entry of listSandboxDirs(this.#host.root)) {
      const state = readState(new SandboxDirs(this.#host.root, entry));
      if (state) refs.push({ namespace: state.namespace, name: state.name, uid: state.uid });
    }
    return refs;
  }

  async exec(ref: SandboxRef, request: ExecRequest): Promise<ProcessHandle> {
    const what = `exec in sandbox ${ref.namespace}/${ref.name}`;
    return guardDiskFull(what, () => execInSandbox(this.#host, ref, request), this.#host.reserve);
  }

  async listProcesses(ref: SandboxRef): Promise<ProcessInfo[]> {
    const dirs = new SandboxDirs(this.#host.root, ref);
    return processesOf(this.#host, dirs, stateOf(dirs, ref)).list();
  }

  async attach(ref: SandboxRef, processId: string): Promise<ProcessHandle> {
    const dirs = new SandboxDirs(this.#host.root, ref);
    const state = stateOf(dirs, ref);
    await touchActivity(dirs);
    return processesOf(this.#host, dirs, state).attach(processId);
  }

  async connectPort(ref: SandboxRef, port: number): Promise<DuplexStream> {
    checkPort(port);
    return guardDiskFull(`connect to ${ref.namespace}/${ref.name}:${port}`, async () => {
      const { dirs, state } = await runningSandbox(this.#host, ref);
      await touchActivity(dirs);
      return relayStream(await spawnPlain(this.#host, dirs, state, relayCommand(port)), port);
    });
  }
}
