// The host side of a sandbox's incarnations: checks before a start, the launch (bubblewrap or
// gVisor), the kill that ends one, the removal of a sandbox, the restore of a checkpointed one,
// and what the runtime observes of it.
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ErrorCode,
  PaddockError,
  type ProvisionRequest,
  type RuntimeObservation,
  RuntimeState,
} from '@paddock/core';
import { BackgroundProcesses } from './background-processes.ts';
import { isAllowlist } from './egress-manager.ts';
import { isGvisor, launchGvisor, stopGvisor } from './gvisor-sandbox.ts';
import { type Argv, superviseCommand } from './host-commands.ts';
import { resolveHostMounts } from './host-mounts.ts';
import type { LaunchStep } from './launch-steps.ts';
import { isAlive } from './process-identity.ts';
import { readOnlyFileMounts } from './readonly-files.ts';
import { launchRlimitsOf, resolveLimits, type SandboxLimits } from './resource-limits.ts';
import { rootlessProblem } from './rootless.ts';
import { cgroupKey, ownerOf, type RuntimeHost, runscOf } from './runtime-host.ts';
import {
  cgroupSteps,
  createSandboxCgroups,
  killCgroups,
  oomKills,
  removeCgroups,
} from './sandbox-cgroups.ts';
import {
  type FreezeTarget,
  isHeldOnDisk,
  readPause,
  removeFreezerCgroup,
  thawSandbox,
} from './sandbox-freezer.ts';
import { type LaunchContext, launchSandbox } from './sandbox-launch.ts';
import { checkRootfs, initExit, sandboxDirSteps } from './sandbox-setup.ts';
import {
  lastActivity,
  NO_ACTIVITY_S,
  type SandboxDirs,
  type SandboxState,
  stateText,
  writeState,
} from './sandbox-state.ts';
import {
  checkWorkspaceVolume,
  hasWorkspaceSize,
  mountWorkspaceVolume,
  unmountWorkspaceVolume,
  workspaceLimit,
} from './workspace-volume.ts';

const STOP_TIMEOUT_MS = 10_000;

export async function observeSandbox(
  host: RuntimeHost,
  dirs: SandboxDirs,
  state: SandboxState,
): Promise<RuntimeObservation> {
  const activity = await lastActivity(dirs);
  const common = {
    limits: state.limits.mechanism,
    rootless: !host.isPrivileged,
    ...(activity === undefined ? {} : { lastActivityAt: activity }),
  };
  const { startedAt } = state.incarnation ?? {};
  const pause = startedAt ? readPause(dirs) : undefined;
  if (startedAt && isHeldOnDisk(dirs, pause))
    return { state: RuntimeState.Paused, startedAt, ...common };
  if (state.incarnation && isAlive(state.incarnation.anchor)) {
    const { startedAt } = state.incarnation;
    if (pause !== undefined) return { state: RuntimeState.Paused, startedAt, ...common };
    await host.egress.ensure(dirs, state, ownerOf(host, state));
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

export function checkAvailable(host: RuntimeHost, spec: ProvisionRequest['spec']): void {
  if (host.missing.length > 0) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `the local runtime needs ${host.missing.join(', ')} on this host`,
    );
  }
  if (!host.isPrivileged) {
    host.rootlessProblem ??= { problem: rootlessProblem(host.bin.bwrap) };
    const { problem } = host.rootlessProblem;
    if (problem !== undefined) throw new PaddockError(ErrorCode.RuntimeUnavailable, problem);
  }
  const isolation = spec.isolation ?? 'process';
  if (isolation === 'gvisor' && !host.isPrivileged) {
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
  if (isolation === 'gvisor') runscOf(host);
  if (spec.rootfs !== undefined) checkRootfs(spec.rootfs, dirname(host.root));
  checkWorkspaceVolume(workspaceLimit(spec), host.isPrivileged);
}

/**
 * Whether a new sandbox's file work can wait for the launcher's watcher: nothing before the
 * start needs its directories (read-only files, a snapshot's seed, a size-limited workspace, an
 * egress proxy's socket), and bubblewrap starts it (gVisor's start does not go through it).
 */
export function canPrepareInLauncher(request: ProvisionRequest, state: SandboxState): boolean {
  return (
    !isGvisor(state) &&
    !isAllowlist(state) &&
    workspaceLimit(state.spec) === undefined &&
    request.fromSnapshot === undefined &&
    !request.readOnlyFiles?.length
  );
}

/**
 * A new sandbox's directories, cgroups (recorded in `state`) and state file as steps of the
 * launcher's watcher: what provision otherwise does through Node's thread pool.
 */
export function newSandboxSteps(
  host: RuntimeHost,
  dirs: SandboxDirs,
  state: SandboxState,
  limits: SandboxLimits,
): LaunchStep[] {
  const owner = host.isPrivileged ? state.hostUid : undefined;
  const cgroups = host.layout
    ? cgroupSteps(host.layout, cgroupKey(host.root, state), limits)
    : { dirs: [], steps: [] };
  state.limits.cgroups = cgroups.dirs;
  return [
    ...sandboxDirSteps(dirs, owner, isAllowlist(state)),
    ...cgroups.steps,
    { op: 'replace', path: dirs.state, text: stateText(state) },
    // Ready for the first exec's touch (`lastActivity`: 1970 is none yet).
    { op: 'touch', path: dirs.activity, mode: 0o644, seconds: NO_ACTIVITY_S },
  ];
}

function launchContext(host: RuntimeHost, dirs: SandboxDirs, state: SandboxState): LaunchContext {
  const limits =
    state.limits.mechanism === 'rlimit'
      ? resolveLimits(state.spec.resources, host.defaults)
      : undefined;
  return {
    bin: host.bin,
    isPrivileged: host.isPrivileged,
    rlimits: limits === undefined ? [] : launchRlimitsOf(limits, !host.isPrivileged),
    // No memory cgroup counts tmpfs pages: each tmpfs gets the memory limit as its size.
    ...(limits === undefined ? {} : { tmpSizeBytes: limits.memoryBytes }),
    // Rootless, bwrap would forbid them from a second user namespace Paddock cannot enter:
    // the seccomp filter refuses new namespaces instead.
    disableNestedUserns: host.isPrivileged,
    ...(isAllowlist(state) ? { egressDir: dirs.egress } : {}),
    toolMounts: host.toolMounts,
    seccompFile: host.seccompFile,
    launcher: host.launcher,
    ...(state.spec.rootfs === undefined ? { etcView: host.etcView.current() } : {}),
  };
}

/**
 * Starts a new incarnation and records it. `steps` (a new sandbox's directories, cgroups and
 * state, see `canPrepareInLauncher`) are done by the launcher's watcher right before the start.
 */
export async function launch(
  host: RuntimeHost,
  dirs: SandboxDirs,
  state: SandboxState,
  steps: readonly LaunchStep[] = [],
): Promise<void> {
  // Resolved at every start: a symlink changed since provision is judged as it is now.
  const hostMounts = [
    ...resolveHostMounts(
      state.spec.mounts,
      state.allowedHostPaths,
      host.toolMounts,
      dirname(host.root),
    ),
    ...readOnlyFileMounts(dirs, state.readOnlyMounts),
  ];
  if (state.spec.volumes?.length) {
    const taken = [...hostMounts, ...host.toolMounts].map((mount) => mount.dest);
    hostMounts.push(...(await host.volumes.mountsFor(state.namespace, state.spec.volumes, taken)));
  }
  await host.egress.ensure(dirs, state, ownerOf(host, state));
  const workspaceSize = workspaceLimit(state.spec);
  if (workspaceSize !== undefined) {
    await mountWorkspaceVolume(dirs, workspaceSize, ownerOf(host, state) ?? state.hostUid);
  }
  state.incarnation = isGvisor(state)
    ? await launchGvisor(dirs, state, runscOf(host), {
        ...(isAllowlist(state) ? { egressDir: dirs.egress } : {}),
        toolMounts: host.toolMounts,
        hostMounts,
      })
    : await launchSandbox(dirs, state, { ...launchContext(host, dirs, state), hostMounts, steps });
  await writeState(dirs, state);
}

/** Kills every process of the sandbox and forgets its incarnation; the workspace stays. */
export async function killSandbox(
  host: RuntimeHost,
  dirs: SandboxDirs,
  state: SandboxState,
  isRemoving = false,
): Promise<void> {
  // A frozen process holds even SIGKILL (cgroup v1, SIGSTOP aside) until it is thawed.
  await thawSandbox(freezeTarget(host, dirs, state), { isEnding: true });
  const incarnation = state.incarnation;
  delete state.incarnation;
  // Before a removal, the state is deleted next: a crash in between leaves an incarnation
  // whose processes are gone, which the retried removal finds as such.
  if (!isRemoving) await writeState(dirs, state);
  await host.egress.close(dirs);
  if (isGvisor(state) && host.bin.runsc !== undefined)
    await stopGvisor(dirs, state, host.bin.runsc);
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
  removeFreezerCgroup(cgroupKey(host.root, state));
  rmSync(dirs.run, { recursive: true, force: true });
  if (hasWorkspaceSize(state.spec)) await unmountWorkspaceVolume(dirs);
}

export async function removeSandbox(
  host: RuntimeHost,
  dirs: SandboxDirs,
  state: SandboxState,
): Promise<void> {
  await killSandbox(host, dirs, state, true);
  await removeCgroups(state.limits.cgroups);
  // Every sandbox process is gone, so nothing can swap a path under this recursive delete;
  // retries cover a supervisor writing its exit status at that moment.
  // Off the event loop: a workspace of many files takes a while to delete.
  await rm(dirs.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  try {
    rmdirSync(dirname(dirs.dir));
  } catch {}
  if (host.isPrivileged) host.hostUids.release(state.hostUid);
}

export function freezeTarget(
  host: RuntimeHost,
  dirs: SandboxDirs,
  state: SandboxState,
): FreezeTarget {
  const runsc = isGvisor(state) ? host.bin.runsc : undefined;
  const what = `restore sandbox ${state.namespace}/${state.name}`;
  // A checkpointed gVisor sandbox's restore (`gvisor-checkpoint.ts`): its host side as a start
  // makes it (a host restart took its cgroups and mounts), a supervisor per restored process.
  const restore = {
    prepare: () => prepareRestore(host, dirs, state),
    supervise: (dir: string, chain: Argv) =>
      host.launcher.supervise(superviseCommand(host.bin, dir, chain), what),
  };
  return { dirs, state, cgroupKey: cgroupKey(host.root, state), runsc, restore };
}

async function prepareRestore(
  host: RuntimeHost,
  dirs: SandboxDirs,
  state: SandboxState,
): Promise<void> {
  if (host.layout && !state.limits.cgroups.every((dir) => existsSync(dir))) {
    const limits = resolveLimits(state.spec.resources, host.defaults);
    const key = cgroupKey(host.root, state);
    const cgroups = await createSandboxCgroups(host.layout, key, limits);
    state.limits = { mechanism: host.layout.mechanism, cgroups };
  }
  const size = workspaceLimit(state.spec);
  if (size !== undefined)
    await mountWorkspaceVolume(dirs, size, ownerOf(host, state) ?? state.hostUid);
  if (state.spec.volumes?.length)
    await host.volumes.mountsFor(state.namespace, state.spec.volumes, []);
  await host.egress.ensure(dirs, state, ownerOf(host, state));
}
