/**
 * Tool mounts: host directories (Paddock's agent harness, a Node.js install, an agent CLI) bound
 * read-only into every sandbox under `/opt/`, so a sandbox can run them without a copy. The
 * sandbox sees nothing of the host but these directories; the paths above them stay hidden.
 */
import { realpathSync, statSync } from 'node:fs';
import { posix, relative, resolve } from 'node:path';
import { ErrorCode, type FieldIssue, PaddockError, parseInput } from '@paddock/core';
import { z } from 'zod';

/** One tool mount: `source` on the host, shown read-only at `dest` inside every sandbox. */
export type ToolMount = { source: string; dest: string };

/** Where tool mounts may appear inside a sandbox. */
export const TOOL_MOUNT_ROOT = '/opt';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isUnder(parent: string, path: string): boolean {
  const rel = relative(parent, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

function isSandboxPath(dest: string): boolean {
  return (
    dest.startsWith(`${TOOL_MOUNT_ROOT}/`) &&
    posix.normalize(dest) === dest &&
    !dest.endsWith('/') &&
    !dest.includes('\0')
  );
}

const ToolMounts = z.array(z.strictObject({ source: z.string(), dest: z.string() })).max(32);

/** Why `source` cannot be a tool directory, or undefined when it can. */
function sourceProblem(source: string, dataDir: string): string | undefined {
  if (source === '') return 'must be a directory path';
  const path = resolve(source);
  if (path === '/') return 'must not be the host root';
  if (isUnder(path, dataDir) || isUnder(dataDir, path)) {
    return "must not contain or lie inside Paddock's data directory";
  }
  return isDirectory(path) ? undefined : 'must be an existing directory';
}

/**
 * Checks the runtime's tool mounts once, at construction: every `dest` absolute, normalised,
 * under `/opt/` and apart from the others; every `source` an existing directory that is neither
 * `/` nor overlapping `dataDir` (other sandboxes' files live there). Returns them with absolute
 * sources, symlinks resolved. Throws `validation_failed` naming each bad field (`toolMounts[1].dest`).
 */
export function checkToolMounts(
  mounts: readonly ToolMount[] | undefined,
  dataDir: string,
): ToolMount[] {
  const parsed = parseInput(
    z.strictObject({ toolMounts: ToolMounts }),
    { toolMounts: mounts ?? [] },
    'local runtime options',
  ).toolMounts;
  const data = resolve(dataDir);
  const issues: FieldIssue[] = [];
  parsed.forEach((mount, i) => {
    const problem = sourceProblem(mount.source, data);
    if (problem !== undefined) issues.push({ path: `toolMounts[${i}].source`, message: problem });
    if (!isSandboxPath(mount.dest)) {
      issues.push({
        path: `toolMounts[${i}].dest`,
        message: `must be an absolute, normalised path under ${TOOL_MOUNT_ROOT}/`,
      });
      return;
    }
    const other = parsed.findIndex(
      (candidate, j) =>
        j < i &&
        isSandboxPath(candidate.dest) &&
        (isUnder(candidate.dest, mount.dest) || isUnder(mount.dest, candidate.dest)),
    );
    if (other >= 0) {
      issues.push({
        path: `toolMounts[${i}].dest`,
        message: `overlaps toolMounts[${other}].dest (${parsed[other]?.dest})`,
      });
    }
  });
  if (issues.length > 0) {
    const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid tool mounts: ${summary}`, {
      issues,
    });
  }
  // Resolved: the launch binds the directory only if it is still exactly this path.
  return parsed.map((mount) => ({ source: realpathSync(mount.source), dest: mount.dest }));
}
