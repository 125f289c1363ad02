import { join } from 'node:path';
import { ErrorCode, PaddockError } from '@paddock/core';
import { buildBwrapArgs, generatedEtc } from './bwrap-launcher.ts';
import { type HostBinaries, launchCommand, STAGED } from './host-commands.ts';
import type { HostMount } from './host-mounts.ts';
import type { LaunchStep } from './launch-steps.ts';
import type { Launcher } from './launcher.ts';
import { identify } from './process-identity.ts';
import type { Rlimit } from './resource-limits.ts';
import { cgroupJoinFiles } from './sandbox-cgroups.ts';
import {
  hostnameOf,
  type Incarnation,
  type SandboxDirs,
  type SandboxState,
} from './sandbox-state.ts';
import { hostSystemView, rootfsView } from './system-view.ts';
import type { ToolMount } from './tool-mounts.ts';

export type LaunchContext = {
  bin: HostBinaries;
  /** Paddock runs as root: bwrap runs as the sandbox's own host uid from a staging namespace. */
  isPrivileged: boolean;
  rlimits: readonly Rlimit[];
  /** Size of the `/tmp` and `/dev/shm` tmpfs (rlimits: no memory cgroup counts their pages). */
  tmpSizeBytes?: number;
  /** Whether bwrap may forbid nested user namespaces (`--disable-userns`). */
  disableNestedUserns: boolean;
  /** A directory holding the egress proxy's socket, for `allowlist` sandboxes. */
  egressDir?: string;
  /** Host directories bound read-only under `/opt/` (checked by `checkToolMounts`). */
  toolMounts?: readonly ToolMount[];
  /** Template host mounts, resolved (`resolveHostMounts`); staged after the tools. */
  hostMounts?: readonly HostMount[];
  /** The compiled seccomp program (`writeSeccompProgram`), handed to bwrap on a descriptor. */
  seccompFile?: string;
  /** The host's `/etc` entries copied for binding whole (`EtcView`), without a rootfs. */
  etcView?: string;
  /** Starts bwrap and waits for the sandbox's anchor (`Launcher`). */
  launcher: Launcher;
  /**
   * File work the launcher's watcher does first (a new sandbox's directories, cgroups and
   * state); the generated `/etc` files follow them.
   */
  steps?: readonly LaunchStep[];
};

const INFO_FD = 3;
const STATUS_FD = 4;
const SECCOMP_FD = 5;

/**
 * The generated `/etc` files a sandbox binds from its own directory: its host name's, and with
 * no `/etc` copy to carry them (a rootfs), passwd and group too.
 */
function sandboxEtcFiles(hasEtcView: boolean): Array<keyof ReturnType<typeof generatedEtc>> {
  return hasEtcView ? ['hosts', 'hostname'] : ['passwd', 'group', 'hosts', 'hostname'];
}

/** The generated `/etc` files, written in place (bound by inode: a rename reaches them). */
function generatedEtcSteps(dirs: SandboxDirs, hostname: string, hasEtcView: boolean): LaunchStep[] {
  const etc = generatedEtc(hostname);
  return sandboxEtcFiles(hasEtcView).map((name) => ({
    op: 'write',
    path: join(dirs.etc, name),
    mode: 0o644,
    text: etc[name],
  }));
}

/** The bwrap argv of a sandbox, with paths as bwrap sees them (staged when privileged). */
export function sandboxBwrapArgs(
  dirs: SandboxDirs,
  state: SandboxState,
  context: LaunchContext,
): string[] {
  const rootfs = state.spec.rootfs;
  const base = context.isPrivileged ? STAGED.sandbox : dirs.dir;
  const shareNetwork = state.spec.network?.egress === 'open';
  // Staged like tool directories, after them and the host mounts.
  const etcIndex = (context.toolMounts ?? []).length + (context.hostMounts ?? []).length;
  const etcView =
    context.etcView === undefined || !context.isPrivileged ? context.etcView : STAGED.dir(etcIndex);
  const view =
    rootfs === undefined
      ? hostSystemView({ shareNetwork, ...(etcView === undefined ? {} : { etcView }) })
      : rootfsView({
          scanPath: rootfs,
          bwrapPath: context.isPrivileged ? STAGED.rootfs : rootfs,
          shareNetwork,
          toolDests: (context.toolMounts ?? []).map((mount) => mount.dest),
        });
  const etc = sandboxEtcFiles(rootfs === undefined && etcView !== undefined);
  return buildBwrapArgs({
    hostname: hostnameOf(state),
    shareNetwork,
    view,
    generated: etc.map((name) => ({ source: join(base, 'etc', name), dest: `/etc/${name}` })),
    workspace: join(base, 'workspace'),
    home: join(base, 'home'),
    ...(context.egressDir === undefined ? {} : { egressDir: join(base, 'egress') }),
    toolMounts: (context.toolMounts ?? []).map((mount, i) => ({
      source: context.isPrivileged ? STAGED.dir(i) : mount.source,
      dest: mount.dest,
    })),
    hostMounts: (context.hostMounts ?? []).map((mount, i) => ({
      ...mount,
      source: context.isPrivileged
        ? STAGED.dir((context.toolMounts ?? []).length + i)
        : mount.source,
    })),
    disableNestedUserns: context.disableNestedUserns,
    ...(context.tmpSizeBytes === undefined ? {} : { tmpSizeBytes: context.tmpSizeBytes }),
    // Rootless, a devpts would cost a second user namespace that Paddock could not enter.
    hasDevpts: context.isPrivileged,
    infoFd: INFO_FD,
    statusFd: STATUS_FD,
    ...(context.seccompFile === undefined ? {} : { seccompFd: SECCOMP_FD }),
    anchor: ['sleep', 'infinity'],
  });
}

/**
 * Starts the sandbox's process tree detached from Paddock (own session, output to files, no
 * parent-death signal) and waits until bwrap has finished setting it up: its init in the new
 * pid namespace has forked the anchor. Returns the recorded identities.
 */
export async function launchSandbox(
  dirs: SandboxDirs,
  state: SandboxState,
  context: LaunchContext,
): Promise<Incarnation> {
  const etcSteps = generatedEtcSteps(
    dirs,
    hostnameOf(state),
    state.spec.rootfs === undefined && context.etcView !== undefined,
  );
  // Host mounts are staged like tool directories, at the indexes after them.
  const stagedDirs = [
    ...[...(context.toolMounts ?? []), ...(context.hostMounts ?? [])].map((mount) => mount.source),
    ...(context.etcView === undefined || state.spec.rootfs !== undefined ? [] : [context.etcView]),
  ];
  const argv = launchCommand({
    bin: context.bin,
    procs: cgroupJoinFiles(state.limits.cgroups, state.limits.mechanism),
    ...(context.isPrivileged ? { hostUid: state.hostUid } : {}),
    sandboxDir: dirs.dir,
    ...(state.spec.rootfs === undefined ? {} : { rootfs: state.spec.rootfs }),
    stagedDirs,
    rlimits: context.rlimits,
    // The launcher's pipe for bwrap's info; the files below are opened after the others close.
    keep: [INFO_FD],
    // Opened by the helper, as root: bwrap runs as the sandbox's host uid, which may not reach
    // them. bwrap's stderr is a pipe the launcher reads only while it starts: later writes (the
    // sandbox could reach its init's descriptors) go nowhere rather than into a host file.
    files: [
      { fd: STATUS_FD, mode: 'w', path: join(dirs.logs, 'bwrap-status.jsonl') },
      ...(context.seccompFile === undefined
        ? []
        : [{ fd: SECCOMP_FD, mode: 'r' as const, path: context.seccompFile }]),
    ],
    bwrapArgs: sandboxBwrapArgs(dirs, state, context),
  });
  const what = `bubblewrap could not start sandbox ${state.namespace}/${state.name}`;
  const { monitorPid, initPid } = await context.launcher.launch(argv, what, [
    ...(context.steps ?? []),
    ...etcSteps,
  ]);
  const monitor = identify(monitorPid);
  const anchor = identify(initPid);
  if (monitor === undefined || anchor === undefined) {
    throw new PaddockError(ErrorCode.RuntimeUnavailable, `${what}: it ended as it started`);
  }
  return { monitor, anchor, startedAt: new Date().toISOString() };
}
