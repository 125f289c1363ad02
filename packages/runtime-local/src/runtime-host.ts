// The parts of one local runtime that every operation on a sandbox uses (built once by
// `LocalRuntime`), and the reads of a sandbox through them: its state, owner, lock, runsc.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ErrorCode, PaddockError, type SandboxRef, type StorageReserve } from '@paddock/core';
import { SANDBOX_UID } from './bwrap-launcher.ts';
import { type CgroupLayout, detectCgroupLayout } from './cgroup-detect.ts';
import { translateDiskFull } from './disk-full.ts';
import { EgressManager } from './egress-manager.ts';
import { EtcView, SHARED_ETC_VIEWS } from './etc-view.ts';
import { isGvisor } from './gvisor-sandbox.ts';
import { HelperPool } from './helper-pool.ts';
import { resolveBinaries } from './host-binaries.ts';
import { HOST_HELPER, type HostBinaries } from './host-commands.ts';
import { HOST_UID_CLAIMS_DIR, HostUidClaims, prepareClaimsDir } from './host-uid-claims.ts';
import { Launcher } from './launcher.ts';
import type { LocalRuntimeOptions } from './local-runtime.ts';
import { isAlive } from './process-identity.ts';
import { DEFAULT_LIMITS, type DefaultLimits } from './resource-limits.ts';
import { pausedError, readPause } from './sandbox-freezer.ts';
import { readState, SandboxDirs, type SandboxState } from './sandbox-state.ts';
import { writeSeccompProgram } from './seccomp.ts';
import { checkToolMounts, type ToolMount } from './tool-mounts.ts';
import { LocalVolumes } from './volume-store.ts';

export type RuntimeHost = {
  readonly root: string;
  readonly bin: HostBinaries;
  readonly missing: readonly string[];
  readonly layout: CgroupLayout | undefined;
  readonly defaults: DefaultLimits;
  readonly hostUids: HostUidClaims;
  readonly isPrivileged: boolean;
  readonly egress: EgressManager;
  readonly toolMounts: readonly ToolMount[];
  readonly reserve: StorageReserve | undefined;
  /** The compiled seccomp filter every sandbox process runs under (`seccomp.ts`). */
  readonly seccompFile: string;
  readonly locks: Map<string, Promise<unknown>>;
  /** Host helpers started ahead of need, for execs; the launcher starts sandboxes. */
  readonly helpers: HelperPool;
  readonly launcher: Launcher;
  readonly etcView: EtcView;
  readonly volumes: LocalVolumes;
  /** Why rootless sandboxes cannot start here, probed once on the first provision or start. */
  rootlessProblem: { problem: string | undefined } | undefined;
};

const DEFAULT_HOST_UID_BASE = 2_000_000_000;

/** Builds the parts of a runtime on `options.root` (see `LocalRuntimeOptions`). */
export function openRuntimeHost(options: LocalRuntimeOptions): RuntimeHost {
  const root = resolve(options.root);
  const toolMounts = checkToolMounts(options.toolMounts, dirname(root));
  mkdirSync(root, { recursive: true, mode: 0o711 });
  const { binaries, missing } = resolveBinaries(options.binaries);
  const launcher = new Launcher(binaries.perl, HOST_HELPER);
  const helpers = new HelperPool(binaries.perl, HOST_HELPER, launcher);
  const etcView = new EtcView(
    process.getuid?.() === 0 ? SHARED_ETC_VIEWS : join(root, '.system', 'etc'),
  );
  const isPrivileged = process.getuid?.() === 0;
  const preference = options.limits ?? 'auto';
  const layout = preference === 'rlimit' ? undefined : detectCgroupLayout(preference);
  if (preference !== 'auto' && preference !== 'rlimit' && layout === undefined) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `limits through ${preference} are not available here`,
    );
  }
  const defaults = { ...DEFAULT_LIMITS, ...options.defaultLimits };
  const claimsDir = options.hostUidClaimsDir ?? HOST_UID_CLAIMS_DIR;
  const hostUids = new HostUidClaims(root, options.hostUidBase ?? DEFAULT_HOST_UID_BASE, claimsDir);
  if (isPrivileged) prepareClaimsDir(claimsDir);
  return {
    root,
    bin: binaries,
    missing,
    layout,
    defaults,
    hostUids,
    isPrivileged,
    egress: new EgressManager(options.egress),
    toolMounts,
    reserve: options.storageReserve,
    seccompFile: writeSeccompProgram(root),
    locks: new Map(),
    helpers,
    launcher,
    etcView,
    volumes: new LocalVolumes(root, isPrivileged),
    rootlessProblem: undefined,
  };
}

/** The host uid that owns the sandbox's files and sockets (1000 under gVisor, which maps none). */
export function ownerOf(host: RuntimeHost, state: SandboxState): number | undefined {
  if (!host.isPrivileged) return undefined;
  return isGvisor(state) ? SANDBOX_UID : state.hostUid;
}

export function runscOf(host: RuntimeHost): string {
  if (host.bin.runsc === undefined) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      'isolation "gvisor" needs runsc, which is not installed on this host',
    );
  }
  return host.bin.runsc;
}

export async function runningSandbox(
  host: RuntimeHost,
  ref: SandboxRef,
): Promise<{ dirs: SandboxDirs; state: SandboxState }> {
  const dirs = new SandboxDirs(host.root, ref);
  const state = stateOf(dirs, ref);
  if (readPause(dirs) !== undefined) throw pausedError(ref.namespace, ref.name);
  if (!state.incarnation || !isAlive(state.incarnation.anchor)) {
    throw new PaddockError(
      ErrorCode.InvalidTransition,
      `sandbox ${ref.namespace}/${ref.name} is not running`,
    );
  }
  await host.egress.ensure(dirs, state, ownerOf(host, state));
  return { dirs, state };
}

export function stateOf(dirs: SandboxDirs, ref: SandboxRef): SandboxState {
  const state = readState(dirs);
  if (state === undefined || state.uid !== ref.uid) {
    throw new PaddockError(
      ErrorCode.SandboxNotFound,
      `sandbox ${ref.namespace}/${ref.name} not found`,
    );
  }
  return state;
}

/**
 * Serialises lifecycle operations on one sandbox within this instance; a failure for lack of
 * disk space leaves as `insufficient_storage` of `what`.
 */
export async function locked<T>(
  host: RuntimeHost,
  dirs: SandboxDirs,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  const previous = host.locks.get(dirs.dir) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(fn);
  host.locks.set(dirs.dir, next);
  try {
    return await next;
  } catch (error) {
    throw translateDiskFull(error, what);
  } finally {
    if (host.locks.get(dirs.dir) === next) host.locks.delete(dirs.dir);
  }
}

/** Cgroup directory name: the runtime root's tag keeps two data directories (or test runs) apart. */
export function cgroupKey(root: string, state: SandboxState): string {
  const tag = createHash('sha256').update(root).digest('hex').slice(0, 8);
  return `${tag}.${state.namespace}.${state.name}`;
}
