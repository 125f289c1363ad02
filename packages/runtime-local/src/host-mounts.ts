/**
 * Template `hostPath` mounts: host directories an admin's template binds into a sandbox,
 * read-only or writable. Admission already checked them lexically against the policy's
 * `allowedHostPaths`; here, each time the sandbox starts, every path is resolved on the host
 * (symlinks followed) and checked again against the roots, resolved the same way, so that a
 * link inside an allowed root cannot lead out of it. The resolved path is what gets mounted.
 */
import { realpathSync, statSync } from 'node:fs';
import {
  allowedRootOf,
  ErrorCode,
  type FieldIssue,
  hostPathProblem,
  isPathWithin,
  type Mount,
  mountPathProblem,
  PaddockError,
  type Violation,
  ViolationCode,
} from '@paddock/core';
import type { ToolMount } from './tool-mounts.ts';

/** One host directory bound at `dest`, with its source resolved on the host. */
export type HostMount = { source: string; dest: string; readOnly: boolean };

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function overlaps(a: string, b: string): boolean {
  return isPathWithin(a, b) || isPathWithin(b, a);
}

/**
 * The host mounts of a sandbox spec, resolved: `mounts` are the spec's (credential mounts are
 * skipped), `allowedRoots` the policy's `allowedHostPaths` the sandbox was admitted under (none
 * when absent), `toolMounts` the runtime's own and `dataDir` Paddock's data directory, neither of
 * which a mount may overlap. Throws `policy_violation` (`host_path_not_allowed` naming
 * `spec.mounts[i].hostPath`) for a path whose resolved form leaves every resolved root, and
 * `validation_failed` naming the field for a bad mount point, a missing or non-directory source,
 * or overlaps.
 */
export function resolveHostMounts(
  mounts: readonly Mount[] | undefined,
  allowedRoots: readonly string[] | undefined,
  toolMounts: readonly ToolMount[],
  dataDir: string,
): HostMount[] {
  const roots = allowedRoots ?? [];
  const realRoots = roots.flatMap((root) => realpathOrUndefined(root) ?? []);
  const realData = realpathOrUndefined(dataDir) ?? dataDir;
  const issues: FieldIssue[] = [];
  const violations: Violation[] = [];
  const resolved: HostMount[] = [];
  const dests: string[] = [];
  (mounts ?? []).forEach((mount, i) => {
    if (mount.hostPath === undefined) return;
    const field = `spec.mounts[${i}]`;
    const destProblem = mountPathProblem(mount.mountPath);
    if (destProblem !== undefined)
      issues.push({ path: `${field}.mountPath`, message: destProblem });
    const tool = toolMounts.find((t) => overlaps(t.dest, mount.mountPath));
    if (tool !== undefined)
      issues.push({ path: `${field}.mountPath`, message: `overlaps the tool mount ${tool.dest}` });
    const other = dests.find((dest) => overlaps(dest, mount.mountPath));
    if (other !== undefined)
      issues.push({ path: `${field}.mountPath`, message: `overlaps the mount at ${other}` });
    dests.push(mount.mountPath);
    const sourceProblem = hostPathProblem(mount.hostPath);
    if (sourceProblem !== undefined) {
      issues.push({ path: `${field}.hostPath`, message: sourceProblem });
      return;
    }
    const real = realpathOrUndefined(mount.hostPath);
    if (real === undefined) {
      issues.push({ path: `${field}.hostPath`, message: `${mount.hostPath} does not exist` });
      return;
    }
    const allowedAsWritten = allowedRootOf(mount.hostPath, roots) !== undefined;
    if (!allowedAsWritten || allowedRootOf(real, realRoots) === undefined) {
      const via = real === mount.hostPath ? '' : ` (it resolves to ${real})`;
      violations.push({
        code: ViolationCode.HostPathNotAllowed,
        field: `${field}.hostPath`,
        message: `host path ${mount.hostPath}${via} is not under an allowed host path (allowed: ${roots.length === 0 ? 'none' : roots.join(', ')})`,
      });
      return;
    }
    if (overlaps(real, realData)) {
      issues.push({
        path: `${field}.hostPath`,
        message: `${mount.hostPath} must not contain or lie inside Paddock's data directory`,
      });
      return;
    }
    if (!statSync(real).isDirectory()) {
      issues.push({ path: `${field}.hostPath`, message: `${mount.hostPath} is not a directory` });
      return;
    }
    resolved.push({ source: real, dest: mount.mountPath, readOnly: mount.readOnly === true });
  });
  if (violations.length > 0) {
    const fields = violations.map((v) => v.field).join(', ');
    throw new PaddockError(
      ErrorCode.PolicyViolation,
      `host mounts refused by policy (${fields}): ${violations.map((v) => v.message).join('; ')}`,
      { violations },
    );
  }
  if (issues.length > 0) {
    const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid mounts: ${summary}`, { issues });
  }
  return resolved;
}
