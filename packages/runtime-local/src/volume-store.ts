/**
 * Volumes of the local runtime (`VolumeStorage`): a directory `<root>/.volumes/<namespace>/<name>/
 * data`, bound into every sandbox whose spec mounts it (`--bind`, or `--ro-bind` for `readOnly`).
 * A sized volume is an ext4 file system in a sparse image beside it, loop-mounted on `data` as a
 * size-limited workspace is (`workspace-volume.ts`): a write past its size fails with ENOSPC in
 * every sandbox that mounts it. Its root is writable by every sandbox user (each sandbox has its
 * own host uid): a file keeps its creator's permission bits, as on any shared disk.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ErrorCode,
  type FieldIssue,
  isPathWithin,
  PaddockError,
  type VolumeMount,
  type VolumeObservation,
  type VolumeRef,
  type VolumeStorage,
} from '@paddock/core';
import { z } from 'zod';
import { findExecutable } from './host-binaries.ts';
import type { HostMount } from './host-mounts.ts';
import { writeFileAtomic } from './sandbox-state.ts';
import {
  checkWorkspaceVolume,
  isWorkspaceMounted,
  mountWorkspaceVolume,
  unmountWorkspaceVolume,
} from './workspace-volume.ts';

const run = promisify(execFile);
const VOLUMES_DIR = '.volumes';
const META = 'volume.json';

const VolumeMeta = z.strictObject({
  version: z.literal(1),
  uid: z.string(),
  sizeBytes: z.int().positive().optional(),
});
type VolumeMeta = z.infer<typeof VolumeMeta>;

function checkName(field: string, value: string): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) {
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid volume ${field} "${value}"`, {
      issues: [{ path: field, message: 'must be a DNS label' }],
    });
  }
}

/** Where one volume lives: its record, its image and the `data` directory sandboxes bind. */
function volumePaths(root: string, namespace: string, name: string) {
  checkName('namespace', namespace);
  checkName('name', name);
  const dir = join(root, VOLUMES_DIR, namespace, name);
  return { dir, workspace: join(dir, 'data'), meta: join(dir, META) };
}

function readMeta(path: string): VolumeMeta | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = VolumeMeta.safeParse(JSON.parse(text));
  if (!parsed.success) throw new PaddockError(ErrorCode.Internal, `corrupt volume record ${path}`);
  return parsed.data;
}

export class LocalVolumes implements VolumeStorage {
  readonly #root: string;
  readonly #isPrivileged: boolean;

  constructor(root: string, isPrivileged: boolean) {
    this.#root = root;
    this.#isPrivileged = isPrivileged;
  }

  async ensure(volume: VolumeRef, sizeBytes: number | undefined): Promise<VolumeObservation> {
    const paths = volumePaths(this.#root, volume.namespace, volume.name);
    const existing = readMeta(paths.meta);
    if (existing !== undefined) {
      if (existing.uid !== volume.uid) {
        throw new PaddockError(
          ErrorCode.Conflict,
          `volume ${volume.namespace}/${volume.name} exists with another uid; remove it first`,
        );
      }
      if (existing.sizeBytes !== sizeBytes) {
        throw new PaddockError(
          ErrorCode.ValidationFailed,
          `spec.size cannot change for an existing volume (it is ${existing.sizeBytes === undefined ? 'unbounded' : `${existing.sizeBytes} bytes`})`,
          { issues: [{ path: 'spec.size', message: 'fixed at creation' }] },
        );
      }
      return this.#observe(paths, existing);
    }
    if (sizeBytes !== undefined)
      checkWorkspaceVolume({ bytes: sizeBytes, field: 'spec.size' }, this.#isPrivileged);
    mkdirSync(join(this.#root, VOLUMES_DIR, volume.namespace), { recursive: true, mode: 0o711 });
    mkdirSync(paths.dir, { recursive: true, mode: 0o711 });
    mkdirSync(paths.workspace, { recursive: true, mode: 0o777 });
    const meta: VolumeMeta = {
      version: 1,
      uid: volume.uid,
      ...(sizeBytes === undefined ? {} : { sizeBytes }),
    };
    try {
      await this.#mount(paths, meta);
      chmodSync(paths.workspace, 0o777);
      writeFileAtomic(paths.meta, `${JSON.stringify(meta)}\n`);
    } catch (error) {
      await unmountWorkspaceVolume(paths).catch(() => {});
      rmSync(paths.dir, { recursive: true, force: true });
      throw error;
    }
    return this.#observe(paths, meta);
  }

  async observe(volume: VolumeRef): Promise<VolumeObservation> {
    const paths = volumePaths(this.#root, volume.namespace, volume.name);
    const meta = readMeta(paths.meta);
    if (meta === undefined || meta.uid !== volume.uid) return { exists: false };
    return this.#observe(paths, meta);
  }

  async remove(volume: VolumeRef): Promise<void> {
    const paths = volumePaths(this.#root, volume.namespace, volume.name);
    const meta = readMeta(paths.meta);
    if (meta !== undefined && meta.uid !== volume.uid) return;
    await unmountWorkspaceVolume(paths);
    rmSync(paths.dir, { recursive: true, force: true, maxRetries: 3 });
  }

  /**
   * The binds of a sandbox's `spec.volumes` in `namespace`, sized ones mounted first.
   * `validation_failed` naming `spec.volumes[i]…` for a volume this runtime does not hold, or a
   * mount point that overlaps another mount (`taken`: the sandbox's other mount points).
   */
  async mountsFor(
    namespace: string,
    mounts: readonly VolumeMount[] | undefined,
    taken: readonly string[],
  ): Promise<HostMount[]> {
    const issues: FieldIssue[] = [];
    const binds: HostMount[] = [];
    const dests = [...taken];
    for (const [i, mount] of (mounts ?? []).entries()) {
      const field = `spec.volumes[${i}]`;
      const other = dests.find(
        (d) => isPathWithin(d, mount.mountPath) || isPathWithin(mount.mountPath, d),
      );
      if (other !== undefined)
        issues.push({ path: `${field}.mountPath`, message: `overlaps the mount at ${other}` });
      dests.push(mount.mountPath);
      const paths = volumePaths(this.#root, namespace, mount.name);
      const meta = readMeta(paths.meta);
      if (meta === undefined) {
        issues.push({
          path: `${field}.name`,
          message: `volume ${namespace}/${mount.name} does not exist (yet) in this runtime`,
        });
        continue;
      }
      await this.#mount(paths, meta);
      binds.push({
        source: paths.workspace,
        dest: mount.mountPath,
        readOnly: mount.readOnly === true,
      });
    }
    if (issues.length > 0) {
      const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
      throw new PaddockError(ErrorCode.ValidationFailed, `invalid volumes: ${summary}`, { issues });
    }
    return binds;
  }

  async #mount(paths: ReturnType<typeof volumePaths>, meta: VolumeMeta): Promise<void> {
    if (meta.sizeBytes === undefined || isWorkspaceMounted(paths)) return;
    await mountWorkspaceVolume(paths, { bytes: meta.sizeBytes, field: 'spec.size' }, 0);
    chmodSync(paths.workspace, 0o777);
  }

  async #observe(
    paths: ReturnType<typeof volumePaths>,
    meta: VolumeMeta,
  ): Promise<VolumeObservation> {
    if (meta.sizeBytes !== undefined) {
      await this.#mount(paths, meta);
      const fs = statfsSync(paths.workspace);
      return {
        exists: true,
        usedBytes: (fs.blocks - fs.bfree) * fs.bsize,
        capacityBytes: meta.sizeBytes,
      };
    }
    if (!existsSync(paths.workspace)) return { exists: true, usedBytes: 0 };
    const { stdout } = await run(findExecutable('du') ?? 'du', [
      '-s',
      '--block-size=1',
      paths.workspace,
    ]);
    return { exists: true, usedBytes: Number.parseInt(stdout.split('\t')[0] ?? '0', 10) };
  }
}
