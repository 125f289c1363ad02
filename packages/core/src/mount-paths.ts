/**
 * Where a template mount may appear inside a sandbox, and which host paths it may name. Shared by
 * the template schema (a bad value is `validation_failed` naming the field), the policy engine and
 * the runtimes. Pure: no file system access.
 */

/**
 * Sandbox paths a mount may neither cover nor sit inside: the system (mounting over it would
 * replace what every program trusts), the kernel's file systems, and the egress proxy's socket.
 */
const SYSTEM_PATHS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/run/paddock',
  '/sbin',
  '/sys',
  '/usr',
] as const;

/**
 * The sandbox's own writable directories: a mount may sit inside them (`/workspace/data`) but
 * never on them or above them, which would hide the workspace, the home or `/tmp`.
 */
const OWN_PATHS = ['/workspace', '/home/user', '/tmp'] as const;

/** `path` equals `parent` or lies below it. Both absolute and normalised. */
export function isPathWithin(parent: string, path: string): boolean {
  return parent === '/' || path === parent || path.startsWith(`${parent}/`);
}

/** Absolute, without `.`/`..` segments, repeated or trailing slashes. */
export function isNormalisedPath(path: string): boolean {
  if (path === '/') return true;
  if (!path.startsWith('/')) return false;
  return path
    .slice(1)
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Why `mountPath` cannot hold a mount, or undefined when it can. */
export function mountPathProblem(mountPath: string): string | undefined {
  if (!isNormalisedPath(mountPath))
    return 'must be a normalised absolute path (no ., .., // or trailing /)';
  if (mountPath === '/') return 'must not be the sandbox root';
  const system = SYSTEM_PATHS.find(
    (reserved) => isPathWithin(reserved, mountPath) || isPathWithin(mountPath, reserved),
  );
  if (system !== undefined) return `must not be, contain or lie inside the system path ${system}`;
  const own = OWN_PATHS.find((reserved) => isPathWithin(mountPath, reserved));
  if (own !== undefined) return `must not be or contain ${own} (a directory inside it is fine)`;
  return undefined;
}

/** Why `hostPath` cannot be mounted whatever the policy says, or undefined when it can. */
export function hostPathProblem(hostPath: string): string | undefined {
  if (!isNormalisedPath(hostPath))
    return 'must be a normalised absolute path (no ., .., // or trailing /)';
  if (hostPath === '/') return 'must not be the host root';
  return undefined;
}

/** The allowed root that holds `hostPath`, or undefined. Lexical: callers resolve symlinks first. */
export function allowedRootOf(hostPath: string, roots: readonly string[]): string | undefined {
  return roots.find((root) => isPathWithin(root, hostPath));
}
