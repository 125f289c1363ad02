/**
 * Read-only files of a sandbox (`ProvisionRequest.readOnlyFiles`: credentials' files): written
 * once at provision into `<sandbox>/readonly/<i>/`, outside the workspace, owned by root and
 * readable through the group of the sandbox user's host uid only, then bound read-only at their
 * mount paths at every start. `bindReadOnlyFiles` adds or replaces one later: staged beside them,
 * attached into the running sandbox by the host helper's `bind` mode, then recorded like them.
 * Inside, chmod is refused (not the owner), writes and removals too (a read-only mount).
 */
import { chownSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import {
  ErrorCode,
  type FieldIssue,
  isPaddockError,
  isPathWithin,
  PaddockError,
  type ReadOnlyFiles,
} from '@paddock/core';
import { SANDBOX_HOME, WORKSPACE } from './bwrap-launcher.ts';
import type { HostMount } from './host-mounts.ts';
import type { SandboxDirs } from './sandbox-state.ts';

const DIR = 'readonly';
const COVERED = ['/', WORKSPACE, '/tmp', SANDBOX_HOME, '/proc', '/dev', '/etc', '/usr'];

function mountPathProblem(path: string): string | undefined {
  if (!path.startsWith('/') || path.includes('\0')) return 'must be an absolute path';
  const normal = posix.normalize(path).replace(/(.)\/$/, '$1');
  if (normal !== path) return 'must be a normalised path (no ., .. or trailing /)';
  if (COVERED.includes(path) || path.startsWith('/proc/') || path.startsWith('/dev/'))
    return `must not cover ${path}`;
  return undefined;
}

function filePathProblem(path: string): string | undefined {
  const parts = path.split('/');
  if (path === '' || path.startsWith('/') || path.includes('\0')) return 'must be a relative path';
  if (parts.some((part) => part === '' || part === '.' || part === '..'))
    return 'must not hold empty, . or .. parts';
  return undefined;
}

/** `validation_failed` listing every bad mount path and file path. */
export function checkReadOnlyFiles(list: readonly ReadOnlyFiles[]): void {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  list.forEach((entry, i) => {
    const problem =
      mountPathProblem(entry.mountPath) ??
      (seen.has(entry.mountPath) ? 'is used twice' : undefined);
    if (problem) issues.push({ path: `readOnlyFiles[${i}].mountPath`, message: problem });
    seen.add(entry.mountPath);
    entry.files.forEach((file, j) => {
      const fileProblem = filePathProblem(file.path);
      if (fileProblem)
        issues.push({ path: `readOnlyFiles[${i}].files[${j}].path`, message: fileProblem });
    });
  });
  if (issues.length > 0) {
    const first = issues[0] as FieldIssue;
    throw new PaddockError(ErrorCode.ValidationFailed, `${first.path} ${first.message}`, {
      issues,
    });
  }
}

/**
 * Writes the files under `<sandbox>/readonly/<i>/`: directories 0550 and files 0440 (0550 with an
 * execute bit), owned by root with `group`, the sandbox user's host gid (rootless: left to the
 * user Paddock runs as, who is the sandbox user). Returns the mount paths in order, for the state.
 */
export function writeReadOnlyFiles(
  dirs: SandboxDirs,
  list: readonly ReadOnlyFiles[],
  group: number | undefined,
): string[] {
  const root = join(dirs.dir, DIR);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { mode: 0o700 });
  list.forEach((entry, i) => {
    writeEntry(join(root, String(i)), entry, group);
  });
  return list.map((entry) => entry.mountPath);
}

function writeEntry(base: string, entry: ReadOnlyFiles, group: number | undefined): void {
  const makeDir = (path: string) => {
    mkdirSync(path, { recursive: true, mode: 0o550 });
    if (group !== undefined) chownSync(path, 0, group);
  };
  makeDir(base);
  for (const file of entry.files) {
    const target = join(base, file.path);
    // Parents are created on the way down, each owned like the rest.
    let parent = base;
    for (const part of file.path.split('/').slice(0, -1)) {
      parent = join(parent, part);
      makeDir(parent);
    }
    const mode = (file.mode ?? 0) & 0o111 ? 0o550 : 0o440;
    writeFileSync(target, file.content, { mode });
    if (group !== undefined) chownSync(target, 0, group);
  }
}

/** `validation_failed` for a later bind whose mount path is bad or lies in or around another one. */
export function checkLaterBind(entry: ReadOnlyFiles, recorded: readonly string[]): void {
  try {
    checkReadOnlyFiles([entry]);
  } catch (error) {
    if (!isPaddockError(error, 'validation_failed')) throw error;
    const issues = (error.details as { issues: FieldIssue[] }).issues.map((issue) => ({
      ...issue,
      path: issue.path.replace(/^readOnlyFiles\[0\]/, 'files'),
    }));
    const first = issues[0] as FieldIssue;
    throw new PaddockError(ErrorCode.ValidationFailed, `${first.path} ${first.message}`, {
      issues,
    });
  }
  const other = recorded.find(
    (path) =>
      path !== entry.mountPath &&
      (isPathWithin(path, entry.mountPath) || isPathWithin(entry.mountPath, path)),
  );
  if (other !== undefined) {
    const message = `must not lie in or around the read-only files at ${other}`;
    throw new PaddockError(ErrorCode.ValidationFailed, `files.mountPath ${message}`, {
      issues: [{ path: 'files.mountPath', message }],
    });
  }
}

/**
 * Writes a later bind's files beside the recorded ones, at `readonly/<index>.next`, and returns
 * that directory: `commitLaterBind` moves it to `readonly/<index>` once it is attached.
 */
export function stageLaterBind(
  dirs: SandboxDirs,
  index: number,
  entry: ReadOnlyFiles,
  group: number | undefined,
): string {
  const root = join(dirs.dir, DIR);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const staged = join(root, `${index}.next`);
  rmSync(staged, { recursive: true, force: true });
  writeEntry(staged, entry, group);
  return staged;
}

/** Replaces `readonly/<index>` by the staged directory (a mount of the old one keeps its files). */
export function commitLaterBind(dirs: SandboxDirs, index: number): void {
  const target = join(dirs.dir, DIR, String(index));
  rmSync(target, { recursive: true, force: true });
  renameSync(join(dirs.dir, DIR, `${index}.next`), target);
}

/** The read-only binds of a sandbox's recorded mount paths. */
export function readOnlyFileMounts(
  dirs: SandboxDirs,
  mountPaths: readonly string[] | undefined,
): HostMount[] {
  return (mountPaths ?? []).map((dest, i) => ({
    source: join(dirs.dir, DIR, String(i)),
    dest,
    readOnly: true,
  }));
}
