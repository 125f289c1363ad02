/**
 * A size-limited workspace (`spec.workspace.size`, `spec.resources.storage`): an ext4 file system
 * in a sparse image file beside the sandbox's state, loop-mounted on the host onto the sandbox's
 * workspace directory while the sandbox runs. A write past the size fails with ENOSPC inside
 * the sandbox; the host and other sandboxes do not notice. Only a sandbox with a size pays for
 * it (a few milliseconds of mkfs and mount); one without keeps a plain directory.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  rmdirSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ErrorCode,
  PaddockError,
  parseQuantity,
  quantityToInteger,
  type SandboxEnvironment,
  WORKSPACE_SIZE_BOUNDS,
} from '@paddock/core';
import { findExecutable } from './host-binaries.ts';
import type { SandboxDirs } from './sandbox-state.ts';

const run = promisify(execFile);

const LOOP_CONTROL = '/dev/loop-control';
const IMAGE = 'workspace.img';

export type WorkspaceLimit = {
  bytes: number;
  /** The field that set it (`spec.workspace.size` or `spec.resources.storage`), for errors. */
  field: string;
};

function invalid(field: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${field} ${message}`, {
    issues: [{ path: field, message }],
  });
}

/**
 * The workspace's size in bytes, or undefined when neither field sets one. With both set the
 * smaller wins: each is a ceiling. `validation_failed` naming the field for a value that is not
 * a whole number of bytes between 16Mi and 16Ti.
 */
export function workspaceLimit(spec: SandboxEnvironment): WorkspaceLimit | undefined {
  const candidates: WorkspaceLimit[] = [];
  for (const [field, value] of [
    ['spec.workspace.size', spec.workspace?.size],
    ['spec.resources.storage', spec.resources?.storage],
  ] as const) {
    if (value === undefined) continue;
    let bytes: bigint;
    try {
      // Rounded up to a whole byte, as Kubernetes does.
      bytes = quantityToInteger(parseQuantity(value));
    } catch {
      throw invalid(
        field,
        `must be a quantity of bytes such as 512Mi or 10Gi, not ${JSON.stringify(value)}`,
      );
    }
    // Admission refuses these too (core's schema); a state written before it is checked here.
    if (bytes < WORKSPACE_SIZE_BOUNDS.min || bytes > WORKSPACE_SIZE_BOUNDS.max) {
      throw invalid(field, `must be between 16Mi and 16Ti, not ${value}`);
    }
    candidates.push({ bytes: Number(bytes), field });
  }
  return candidates.sort((a, b) => a.bytes - b.bytes)[0];
}

/** Whether the spec sets a workspace size (without validating it). */
export function hasWorkspaceSize(spec: SandboxEnvironment): boolean {
  return spec.workspace?.size !== undefined || spec.resources?.storage !== undefined;
}

/** A provision of an existing sandbox must not resize it: `validation_failed` naming the field. */
export function checkSameWorkspaceSize(
  existing: SandboxEnvironment,
  requested: SandboxEnvironment,
): void {
  const [before, after] = [workspaceLimit(existing), workspaceLimit(requested)];
  if (before?.bytes === after?.bytes) return;
  const field = after?.field ?? before?.field ?? 'spec.workspace.size';
  throw invalid(
    field,
    `cannot change for an existing sandbox (its workspace is ${before ? `${before.bytes} bytes` : 'unlimited'}); create a new sandbox instead`,
  );
}

/**
 * Whether this host can give `limit` to a sandbox: the runtime runs as root and loop devices
 * exist, else `runtime_unavailable` naming the field. Rootless mode has no way to enforce a
 * persistent size (a size-limited tmpfs would lose the workspace at every stop), so it refuses.
 */
export function checkWorkspaceVolume(
  limit: WorkspaceLimit | undefined,
  isPrivileged: boolean,
): void {
  if (limit === undefined) return;
  const why = !isPrivileged
    ? 'needs the local runtime to run as root (a loop-mounted file system); rootless mode cannot enforce it'
    : !existsSync(LOOP_CONTROL)
      ? `needs loop devices, and this host has no ${LOOP_CONTROL}`
      : findExecutable('mkfs.ext4') === undefined
        ? 'needs mkfs.ext4 (e2fsprogs) on this host'
        : undefined;
  if (why !== undefined) {
    throw new PaddockError(ErrorCode.RuntimeUnavailable, `${limit.field} ${why}`, {
      field: limit.field,
    });
  }
}

/** The mount points on this host, decoded from `/proc/self/mountinfo`. */
function mountPoints(): Set<string> {
  const points = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const point = line.split(' ')[4];
    if (point)
      points.add(
        point.replace(/\\([0-7]{3})/g, (_, octal) =>
          String.fromCharCode(Number.parseInt(octal, 8)),
        ),
      );
  }
  return points;
}

export function isWorkspaceMounted(dirs: Pick<SandboxDirs, 'workspace'>): boolean {
  return mountPoints().has(dirs.workspace);
}

/**
 * Mounts the sandbox's workspace image onto its workspace directory (creating and formatting it
 * the first time, owned by `owner`). Idempotent. An image of another size is `validation_failed`:
 * a workspace is never resized.
 */
export async function mountWorkspaceVolume(
  dirs: Pick<SandboxDirs, 'dir' | 'workspace'>,
  limit: WorkspaceLimit,
  owner: number,
): Promise<void> {
  if (isWorkspaceMounted(dirs)) return;
  const image = join(dirs.dir, IMAGE);
  const isNew = !existsSync(image);
  if (isNew) {
    const fd = openSync(image, 'wx', 0o600);
    try {
      ftruncateSync(fd, limit.bytes);
    } finally {
      closeSync(fd);
    }
    // No journal (a sandbox's scratch space, and faster), no reserved blocks, root owned by the
    // sandbox user's host uid.
    await run(findExecutable('mkfs.ext4') ?? 'mkfs.ext4', [
      '-q',
      '-F',
      '-O',
      '^has_journal',
      '-m',
      '0',
      '-E',
      `root_owner=${owner}:${owner},nodiscard`,
      image,
    ]);
  } else if (statSync(image).size !== limit.bytes) {
    throw invalid(
      limit.field,
      `cannot change for an existing sandbox: its workspace is ${statSync(image).size} bytes, not ${limit.bytes}`,
    );
  }
  await run(findExecutable('mount') ?? 'mount', ['-o', 'loop,nosuid,nodev', image, dirs.workspace]);
  chmodSync(dirs.workspace, 0o700);
  if (isNew) rmdirSync(join(dirs.workspace, 'lost+found'));
}

/** Unmounts the workspace image, if mounted (lazily when still busy). Idempotent. */
export async function unmountWorkspaceVolume(dirs: Pick<SandboxDirs, 'workspace'>): Promise<void> {
  if (!isWorkspaceMounted(dirs)) return;
  const umount = findExecutable('umount') ?? 'umount';
  try {
    await run(umount, [dirs.workspace]);
  } catch {
    await run(umount, ['-l', dirs.workspace]);
  }
}
