// What a sandbox is given after its provision, kept across restarts: another host name, and
// read-only files bound into it (attached at once when it runs, else at its next start).
import { ErrorCode, PaddockError, type ReadOnlyFiles, type SandboxRef } from '@paddock/core';
import { isGvisor } from './gvisor-sandbox.ts';
import { bindCommand } from './host-commands.ts';
import { isAlive } from './process-identity.ts';
import { checkLaterBind, commitLaterBind, stageLaterBind } from './readonly-files.ts';
import { locked, ownerOf, type RuntimeHost, stateOf } from './runtime-host.ts';
import { checkHostname, renameWords } from './sandbox-hostname.ts';
import { SandboxDirs, writeState } from './sandbox-state.ts';

/** See `LocalRuntime.setHostname`. */
export async function setHostname(
  host: RuntimeHost,
  ref: SandboxRef,
  hostname: string,
): Promise<void> {
  checkHostname(hostname);
  const dirs = new SandboxDirs(host.root, ref);
  await locked(host, dirs, `rename sandbox ${ref.namespace}/${ref.name}`, async () => {
    const state = stateOf(dirs, ref);
    const anchor = state.incarnation?.anchor;
    if (hostname === state.name) delete state.hostname;
    else state.hostname = hostname;
    if (anchor === undefined || !isAlive(anchor)) {
      await writeState(dirs, state);
      return;
    }
    // gVisor's kernel keeps the name it started with until its next start.
    const anchorPid = isGvisor(state) ? undefined : anchor.pid;
    await host.launcher.rename(
      renameWords(dirs, state, hostname, anchorPid),
      "cannot set the sandbox's host name",
    );
  });
}

/** See `LocalRuntime.bindReadOnlyFiles`. */
export async function bindReadOnlyFiles(
  host: RuntimeHost,
  ref: SandboxRef,
  files: ReadOnlyFiles,
): Promise<void> {
  const dirs = new SandboxDirs(host.root, ref);
  const what = `bind read-only files into sandbox ${ref.namespace}/${ref.name}`;
  await locked(host, dirs, what, async () => {
    const state = stateOf(dirs, ref);
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
    if (isRunning && !host.isPrivileged) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `${what}: a running sandbox takes read-only files only when Paddock runs as root; rootless, give them at provision or bind them while it is stopped`,
      );
    }
    const owner = ownerOf(host, state);
    const staged = stageLaterBind(dirs, index, files, owner);
    if (isRunning) {
      const argv = bindCommand(host.bin, {
        anchorPid: anchor.pid,
        source: staged,
        dest: files.mountPath,
        ...(owner === undefined ? {} : { owner: { uid: owner, gid: owner } }),
        replace: existing !== -1,
      });
      await host.launcher.run(argv, what);
    }
    commitLaterBind(dirs, index);
    const mounts = [...recorded];
    mounts[index] = files.mountPath;
    state.readOnlyMounts = mounts;
    await writeState(dirs, state);
  });
}
