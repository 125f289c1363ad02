/**
 * Rootless mode: Paddock runs as an ordinary user, and bubblewrap (not setuid) makes each
 * sandbox's namespaces from an unprivileged user namespace. What differs from running as root:
 * every sandbox user maps to Paddock's own uid (no per-sandbox host uids), limits come from a
 * delegated cgroup v2 subtree when there is one and from rlimits otherwise, `/dev/pts` is absent
 * inside sandboxes, and gVisor is not available. See docs/rootless.md.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';

/** Whether this process runs without root, so that sandboxes run rootless. */
export function isRootless(): boolean {
  return process.getuid?.() !== 0;
}

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Why bubblewrap cannot make sandboxes for this (unprivileged) process, or undefined when it
 * can: a setuid bwrap (whose namespaces an unprivileged Paddock cannot enter), or a kernel or
 * security module refusing unprivileged user namespaces (found by asking bwrap for one, the
 * only test that sees every such policy).
 */
export function rootlessProblem(bwrap: string): string | undefined {
  const stat = statSync(bwrap, { throwIfNoEntry: false });
  if (stat === undefined) return `${bwrap} does not exist`;
  if ((stat.mode & 0o4000) !== 0 && stat.uid === 0) {
    return `${bwrap} is setuid root: rootless sandboxes need a bubblewrap without the setuid bit, using unprivileged user namespaces`;
  }
  const probe = spawnSync(bwrap, ['--unshare-user', '--ro-bind', '/', '/', '--', 'true'], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (probe.status === 0) return undefined;
  const reason = probe.error?.message ?? probe.stderr.trim().split('\n').slice(-1)[0] ?? '';
  return `unprivileged user namespaces are not allowed here (bwrap --unshare-user: ${reason || `exit ${probe.status}`}); enable them (kernel.unprivileged_userns_clone=1, kernel.apparmor_restrict_unprivileged_userns=0, user.max_user_namespaces > 0) or run Paddock as root`;
}
