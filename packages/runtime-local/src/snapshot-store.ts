/**
 * Workspace snapshots of the local runtime (`SnapshotStorage`): a copy of a sandbox's workspace
 * under `<root>/.snapshots/<namespace>/<name>/`, kept apart from every sandbox so that it
 * outlives them. The copy is `cp --reflink=auto -a` (a reflink where the file system has them,
 * a full copy otherwise), made while the sandbox's processes are held (`cgroup-freeze.ts`: never
 * while one runs, which could swap a directory for a link under the copy) or stopped, and run as
 * the sandbox's own host uid, so that a link planted in the workspace reads nothing the sandbox
 * could not. A gVisor sandbox's snapshot holds its memory too, where runsc can
 * checkpoint it (`gvisor-snapshot.ts`); a bubblewrap sandbox's never does (no usable CRIU).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  ErrorCode,
  PaddockError,
  type SandboxRef,
  type SnapshotCapture,
  SnapshotConsistency,
  SnapshotContent,
  type SnapshotRef,
  type SnapshotStorage,
} from '@paddock/core';
import { z } from 'zod';
import { freezeSandbox } from './cgroup-freeze.ts';
import { isGvisor } from './gvisor-sandbox.ts';
import { type MemoryCapture, seedGvisorMemory, withGvisorMemory } from './gvisor-snapshot.ts';
import { findExecutable } from './host-binaries.ts';
import { type FreezeTarget, namespacePids, readPause } from './sandbox-freezer.ts';
import { type SandboxDirs, type SandboxState, writeFileAtomic } from './sandbox-state.ts';
import {
  hasWorkspaceSize,
  isWorkspaceMounted,
  mountWorkspaceVolume,
  unmountWorkspaceVolume,
  workspaceLimit,
} from './workspace-volume.ts';

const run = promisify(execFile);
const SNAPSHOTS_DIR = '.snapshots';
const META = 'snapshot.json';
export const MEMORY_NOTE =
  'memory is not included: bubblewrap sandboxes cannot be checkpointed (no usable CRIU on this host; isolation gvisor can); the workspace is';

const SnapshotMeta = z.strictObject({
  version: z.literal(1),
  uid: z.string(),
  sandbox: z.strictObject({ namespace: z.string(), name: z.string(), uid: z.string() }),
  capture: z.strictObject({
    sizeBytes: z.int().nonnegative(),
    memoryBytes: z.int().nonnegative().optional(),
    contents: z.array(z.enum([SnapshotContent.Workspace, SnapshotContent.Memory])),
    consistency: z.enum([
      SnapshotConsistency.Frozen,
      SnapshotConsistency.Stopped,
      SnapshotConsistency.Live,
    ]),
    memoryNote: z.string().optional(),
    capturedAt: z.string(),
  }),
});
type SnapshotMeta = z.infer<typeof SnapshotMeta>;

/** What the runtime lends the snapshot store: its sandboxes, one operation at a time. */
export type SnapshotHost = {
  /** The runtime's root (`<root>/<namespace>/<name>/` are sandboxes). */
  root: string;
  /**
   * Runs `fn` while no other lifecycle operation runs on the sandbox, with its directories, its
   * state, whether it runs and what pausing it needs (a gVisor sandbox's memory is taken by a
   * pause to disk); `sandbox_not_found` for an unknown one.
   */
  withSandbox<T>(
    ref: SandboxRef,
    what: string,
    fn: (
      dirs: SandboxDirs,
      state: SandboxState,
      isRunning: boolean,
      target: FreezeTarget,
    ) => Promise<T>,
  ): Promise<T>;
  /** The host uid owning the sandbox's files (none when rootless: Paddock's own). */
  ownerOf(state: SandboxState): number | undefined;
};

function checkName(field: string, value: string): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) {
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid snapshot ${field} "${value}"`, {
      issues: [{ path: field, message: 'must be a DNS label' }],
    });
  }
}

/** `<root>/.snapshots/<namespace>/<name>`. */
export function snapshotDir(root: string, ref: Pick<SnapshotRef, 'namespace' | 'name'>): string {
  checkName('namespace', ref.namespace);
  checkName('name', ref.name);
  return join(root, SNAPSHOTS_DIR, ref.namespace, ref.name);
}

function readMeta(dir: string): SnapshotMeta | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, META), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = SnapshotMeta.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new PaddockError(ErrorCode.Internal, `corrupt snapshot record in ${dir}`);
  }
  return parsed.data;
}

/** Bytes the directory takes on disk. */
async function diskUsage(dir: string): Promise<number> {
  const { stdout } = await run(findExecutable('du') ?? 'du', ['-s', '--block-size=1', dir]);
  return Number.parseInt(stdout.split('\t')[0] ?? '0', 10);
}

/** argv prefix running a command as `uid` (no groups, no capabilities); none for Paddock's own. */
function asUser(uid: number | undefined): string[] {
  if (uid === undefined) return [];
  const setpriv = findExecutable('setpriv');
  if (setpriv === undefined) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      'snapshots need setpriv (util-linux) on this host',
    );
  }
  return [setpriv, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--'];
}

/**
 * `cp --reflink=auto -a` of the contents of `from` into `to`, run with `argvPrefix` (as another
 * user). Both directories are opened here and handed over as descriptors 3 and 4, reached as
 * `/proc/self/fd/N`: the user needs no way through Paddock's root-only data directory.
 */
async function copyTree(argvPrefix: string[], from: string, to: string, what: string) {
  const fds = [openSync(from, 'r'), openSync(to, 'r')];
  const argv = [
    ...argvPrefix,
    findExecutable('cp') ?? 'cp',
    '--reflink=auto',
    '-a',
    '--',
    '/proc/self/fd/3/.',
    '/proc/self/fd/4/',
  ];
  try {
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn(argv[0] ?? 'cp', argv.slice(1), {
        env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
        stdio: ['ignore', 'ignore', 'pipe', ...fds],
      });
      let text = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        if (text.length < 4096) text += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve('') : resolve(text.trim() || `exit ${code}`),
      );
    });
    if (stderr === '') return;
    const isFull = /No space left/i.test(stderr);
    throw new PaddockError(
      isFull ? ErrorCode.InsufficientStorage : ErrorCode.RuntimeUnavailable,
      `${what}: ${stderr.split('\n').slice(0, 3).join('; ')}`,
    );
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

export class LocalSnapshots implements SnapshotStorage {
  readonly #host: SnapshotHost;

  constructor(host: SnapshotHost) {
    this.#host = host;
  }

  async capture(sandbox: SandboxRef, snapshot: SnapshotRef): Promise<SnapshotCapture> {
    const dir = snapshotDir(this.#host.root, snapshot);
    const existing = readMeta(dir);
    if (existing !== undefined) return this.#same(existing, snapshot);
    const what = `snapshot ${snapshot.namespace}/${snapshot.name} of sandbox ${sandbox.namespace}/${sandbox.name}`;
    return this.#host.withSandbox(sandbox, what, async (dirs, state, isRunning, target) => {
      const again = readMeta(dir);
      if (again !== undefined) return this.#same(again, snapshot);
      const owner = this.#host.ownerOf(state);
      mkdirSync(join(this.#host.root, SNAPSHOTS_DIR), { recursive: true, mode: 0o711 });
      mkdirSync(join(this.#host.root, SNAPSHOTS_DIR, snapshot.namespace), {
        recursive: true,
        mode: 0o711,
      });
      // A copy a crash left half-made is never finished: started again from nothing.
      for (const stale of readdirSync(dirname(dir)))
        if (stale.startsWith(`${snapshot.name}.partial-`))
          rmSync(join(dirname(dir), stale), { recursive: true, force: true });
      const partial = `${dir}.partial-${randomBytes(4).toString('hex')}`;
      mkdirSync(partial, { mode: 0o711 });
      const workspace = join(partial, 'workspace');
      mkdirSync(workspace, { mode: 0o700 });
      if (owner !== undefined) chownSync(workspace, owner, owner);
      // A stopped size-limited workspace lives in its image: mounted for the copy only.
      const limit = workspaceLimit(state.spec);
      const mountedHere = limit !== undefined && !isWorkspaceMounted(dirs);
      try {
        if (mountedHere && limit !== undefined)
          await mountWorkspaceVolume(dirs, limit, owner ?? state.hostUid);
        const copy = () => copyTree(asUser(owner), dirs.workspace, workspace, what);
        let memory: MemoryCapture | undefined;
        let consistency: SnapshotConsistency;
        if (isGvisor(state) && target.runsc !== undefined) {
          memory = await withGvisorMemory(target, isRunning, partial, copy);
          consistency = memory.isHeld ? SnapshotConsistency.Frozen : SnapshotConsistency.Stopped;
        } else {
          // The copy runs on the host, where a directory the sandbox swaps for a link during it
          // would be followed: no process of the sandbox may run meanwhile (a paused one is held).
          const freeze =
            isRunning && readPause(dirs) === undefined
              ? await freezeSandbox(state.limits.mechanism, state.limits.cgroups, () =>
                  namespacePids(state),
                )
              : undefined;
          try {
            if (freeze !== undefined && !freeze.isFrozen) {
              throw new PaddockError(
                ErrorCode.Conflict,
                `${what}: its processes could not all be held still for the copy; stop or pause it and try again`,
              );
            }
            await copy();
          } finally {
            freeze?.thaw();
          }
          consistency = isRunning ? SnapshotConsistency.Frozen : SnapshotConsistency.Stopped;
        }
        const hasMemory = memory !== undefined && 'bytes' in memory;
        const meta: SnapshotMeta = {
          version: 1,
          uid: snapshot.uid,
          sandbox: { namespace: sandbox.namespace, name: sandbox.name, uid: sandbox.uid },
          capture: {
            sizeBytes: await diskUsage(partial),
            ...(memory !== undefined && 'bytes' in memory ? { memoryBytes: memory.bytes } : {}),
            contents: hasMemory
              ? [SnapshotContent.Workspace, SnapshotContent.Memory]
              : [SnapshotContent.Workspace],
            consistency,
            ...(memory === undefined
              ? { memoryNote: MEMORY_NOTE }
              : 'note' in memory
                ? { memoryNote: memory.note }
                : {}),
            capturedAt: new Date().toISOString(),
          },
        };
        writeFileAtomic(join(partial, META), `${JSON.stringify(meta, null, 2)}\n`);
        renameSync(partial, dir);
        return captureOf(meta);
      } catch (error) {
        rmSync(partial, { recursive: true, force: true });
        throw error;
      } finally {
        if (mountedHere && hasWorkspaceSize(state.spec)) await unmountWorkspaceVolume(dirs);
      }
    });
  }

  async remove(snapshot: SnapshotRef): Promise<void> {
    const dir = snapshotDir(this.#host.root, snapshot);
    const meta = readMeta(dir);
    if (meta === undefined) {
      // A copy that never completed has no record: nothing of another uid to protect.
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      return;
    }
    if (meta.uid !== snapshot.uid) return;
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }

  async list(): Promise<SnapshotRef[]> {
    const base = join(this.#host.root, SNAPSHOTS_DIR);
    if (!existsSync(base)) return [];
    const refs: SnapshotRef[] = [];
    for (const namespace of readdirSync(base)) {
      for (const name of readdirSync(join(base, namespace))) {
        if (name.includes('.partial-')) continue;
        const meta = readMeta(join(base, namespace, name));
        if (meta !== undefined) refs.push({ namespace, name, uid: meta.uid });
      }
    }
    return refs;
  }

  /**
   * Fills a new sandbox's (empty) workspace from the snapshot, owned by the sandbox's user:
   * copied as root from the runtime's own copy, then handed over (a size-limited workspace is
   * mounted first; one too small fails with `insufficient_storage`). `not_found` when the
   * runtime holds no such snapshot.
   */
  async seed(snapshot: SnapshotRef, dirs: SandboxDirs, state: SandboxState): Promise<void> {
    const dir = snapshotDir(this.#host.root, snapshot);
    const meta = readMeta(dir);
    if (meta === undefined || meta.uid !== snapshot.uid) {
      throw new PaddockError(
        ErrorCode.NotFound,
        `spec.fromSnapshot.name: snapshot ${snapshot.namespace}/${snapshot.name} not found in the local runtime`,
        { field: 'spec.fromSnapshot.name' },
      );
    }
    const owner = this.#host.ownerOf(state);
    const limit = workspaceLimit(state.spec);
    if (limit !== undefined) await mountWorkspaceVolume(dirs, limit, owner ?? state.hostUid);
    const what = `seed sandbox workspace from snapshot ${snapshot.namespace}/${snapshot.name}`;
    await copyTree([], join(dir, 'workspace'), dirs.workspace, what);
    if (owner !== undefined) {
      const chown = findExecutable('chown') ?? 'chown';
      await run(chown, ['-R', '-h', `${owner}:${owner}`, dirs.workspace]);
    }
    seedGvisorMemory(dir, meta.sandbox, dirs, state);
  }

  #same(meta: SnapshotMeta, snapshot: SnapshotRef): SnapshotCapture {
    if (meta.uid !== snapshot.uid) {
      throw new PaddockError(
        ErrorCode.Conflict,
        `snapshot ${snapshot.namespace}/${snapshot.name} exists with another uid; remove it first`,
      );
    }
    return captureOf(meta);
  }
}

/** The capture a record holds, without its absent fields. */
function captureOf(meta: SnapshotMeta): SnapshotCapture {
  const { memoryBytes, memoryNote, ...capture } = meta.capture;
  return {
    ...capture,
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(memoryNote === undefined ? {} : { memoryNote }),
  };
}
