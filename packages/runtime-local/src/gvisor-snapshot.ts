/**
 * Memory in snapshots of gVisor sandboxes. A snapshot of a running gVisor sandbox holds, beside
 * its workspace, a `runsc checkpoint` image of its kernel, memory and processes (`memory/`) and
 * the records of the background processes that image holds (`procs/<id>/`). A sandbox made from
 * it (a fork) starts with `runsc restore` from that image instead of `runsc run`: its processes
 * go on where they were, each copy on its own from there.
 *
 * The source is checkpointed as a pause to disk does it (`gvisor-checkpoint.ts`), the image is
 * linked into the snapshot, and the source is restored at once, so it keeps running: what
 * `runsc checkpoint --leave-running` does (that flag destroys the container and restores a new
 * one in its place, outside the sandbox's cgroups and unknown to Paddock's bookkeeping of
 * background processes, so Paddock does the same steps itself). A sandbox paused to disk lends
 * its image as it is. What a restore in another sandbox needs to be its own: the container id,
 * bundle and mounts (its workspace, home, `/etc` files, egress socket, background output) are
 * the new sandbox's, at the same places inside; its host name is set after the restore; a held
 * process's records are copied with the source's paths in them replaced by the new sandbox's.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PauseMechanism } from '@paddock/core';
import { SANDBOX_GID, SANDBOX_UID } from './bwrap-launcher.ts';
import { HOST_ENV } from './exec.ts';
import { containerId, gvisorPaths, HELD_FILE } from './gvisor.ts';
import { hasImage } from './gvisor-checkpoint.ts';
import { followHeld } from './gvisor-follow.ts';
import { writeOrigin } from './gvisor-held.ts';
import { isGvisor } from './gvisor-sandbox.ts';
import { type FreezeTarget, freezeSandbox, readPause, thawSandbox } from './sandbox-freezer.ts';
import { hostnameOf, type SandboxDirs, type SandboxState } from './sandbox-state.ts';

const run = promisify(execFile);

/** What a capture took of a sandbox's memory, or why not; whether its processes were held still. */
export type MemoryCapture = { isHeld: boolean } & (
  | { held: string[]; bytes: number }
  | { note: string }
);

/** The image a new sandbox restores from, in its own gVisor directory. */
export function seedImageOf(sandboxDir: string): string {
  return join(dirname(gvisorPaths(sandboxDir).image), 'seed');
}

/** Hard links of every file under `from` at the same places under `to` (images are never written again). */
function linkTree(from: string, to: string): number {
  mkdirSync(to, { recursive: true, mode: 0o700 });
  let bytes = 0;
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const stat = statSync(source);
    if (stat.isDirectory()) bytes += linkTree(source, join(to, name));
    else {
      linkSync(source, join(to, name));
      bytes += stat.size;
    }
  }
  return bytes;
}

/**
 * Runs `copyWorkspace` while the sandbox's processes are held still, and puts its memory in
 * `into` (`memory/`, `procs/`) where the runtime can: a running gVisor sandbox that can go to
 * disk is checkpointed (paused to disk), then restored once the copy is made; one paused to
 * disk lends its image. `note` says why memory is not included otherwise.
 */
export async function withGvisorMemory(
  target: FreezeTarget,
  isRunning: boolean,
  into: string,
  copyWorkspace: () => Promise<void>,
): Promise<MemoryCapture> {
  const { dirs } = target;
  const before = readPause(dirs);
  if (!isRunning && before === undefined) {
    await copyWorkspace();
    return { isHeld: false, note: 'memory is not included: the sandbox was not running' };
  }
  const record = before ?? (await freezeSandbox(target));
  try {
    await copyWorkspace();
    if (record.mechanism !== PauseMechanism.Checkpoint || !hasImage(dirs)) {
      const why = record.notOnDisk ?? 'it is paused in memory';
      const note = `memory is not included: runsc could not checkpoint it now (${why})`;
      return { isHeld: true, note };
    }
    const bytes = linkTree(gvisorPaths(dirs.dir).image, join(into, 'memory'));
    const held = record.held ?? [];
    for (const id of held) {
      cpSync(join(dirs.procs, id), join(into, 'procs', id), { recursive: true });
    }
    return { isHeld: true, held, bytes };
  } finally {
    // Paused for the snapshot only: it runs on (restored from its own image).
    if (before === undefined) await thawSandbox(target);
  }
}

/**
 * Readies a new gVisor sandbox to start from a snapshot's memory: the image linked in as its
 * seed (`launchGvisor` restores from it), the held processes' records copied into its `procs/`
 * with the source's paths replaced by its own. A sandbox that is not gVisor starts afresh.
 */
export function seedGvisorMemory(
  snapshotDir: string,
  source: { namespace: string; name: string },
  dirs: SandboxDirs,
  state: SandboxState,
): void {
  if (!isGvisor(state) || !existsSync(join(snapshotDir, 'memory'))) return;
  linkTree(join(snapshotDir, 'memory'), seedImageOf(dirs.dir));
  const procs = join(snapshotDir, 'procs');
  if (!existsSync(procs)) return;
  mkdirSync(dirs.procs, { recursive: true, mode: 0o711 });
  const sourceDir = join(dirname(dirname(dirs.dir)), source.namespace, source.name);
  const replacements: Array<[string, string]> = [
    [`${sourceDir}/`, `${dirs.dir}/`],
    [containerId(source.namespace, source.name), containerId(state.namespace, state.name)],
  ];
  for (const id of readdirSync(procs)) {
    const to = join(dirs.procs, id);
    cpSync(join(procs, id), to, { recursive: true, preserveTimestamps: true });
    // As `backgroundOutput` makes them: the sandbox writes these two files and nothing else.
    chmodSync(to, 0o711);
    for (const name of ['stdout', 'stderr'])
      if (existsSync(join(to, name))) chownSync(join(to, name), SANDBOX_UID, SANDBOX_GID);
    writeOrigin(to, containerId(source.namespace, source.name));
    const launch = join(to, 'launch.nul');
    let text = readFileSync(launch, 'utf8');
    for (const [from, into] of replacements) text = text.split(from).join(into);
    writeFileSync(launch, text, { mode: 0o600 });
  }
}

/**
 * After a sandbox restored from a snapshot's memory started: its host name is its own (the
 * image has the source's), and each process the image holds gets a supervisor.
 */
export async function followSeeded(target: FreezeTarget): Promise<void> {
  const { dirs, state, runsc, restore } = target;
  if (runsc === undefined || restore === undefined || !existsSync(dirs.procs)) return;
  const held = readdirSync(dirs.procs).filter((id) => existsSync(join(dirs.procs, id, HELD_FILE)));
  if (held.length === 0) return;
  await followHeld(dirs, state, runsc, held, restore.supervise);
}

/**
 * Gives a restored gVisor sandbox's kernel its own host name (a `runsc exec` of `hostname` as
 * root with CAP_SYS_ADMIN, inside the sandbox's own UTS namespace).
 */
export async function renameRestored(
  dirs: SandboxDirs,
  state: SandboxState,
  runscPath: string,
): Promise<void> {
  const id = containerId(state.namespace, state.name);
  const argv = [
    `--root=${gvisorPaths(dirs.dir).state}`,
    'exec',
    '--user=0:0',
    '--cap=CAP_SYS_ADMIN',
    '--cwd=/',
    id,
    'hostname',
    hostnameOf(state),
  ];
  await run(runscPath, argv, { env: HOST_ENV, timeout: 30_000 });
}

/** Removes a seed image once restored from (or when the restore failed). */
export function dropSeed(sandboxDir: string): void {
  rmSync(seedImageOf(sandboxDir), { recursive: true, force: true });
}
