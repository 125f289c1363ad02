// Test support: running a command as a container of Paddock's image (image/Containerfile) whose
// file tree scripts/build-image.ts assembled, in a bubblewrap namespace, as a cluster runs it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CONTAINERFILE, REPO_ROOT } from '../../scripts/build-image.ts';
import { type Instruction, parseContainerfile } from '../../scripts/containerfile.ts';

export const containerfile = parseContainerfile(
  readFileSync(join(REPO_ROOT, CONTAINERFILE), 'utf8'),
);

/** The final stage's instructions `op` (`USER`, `ENV`, `ENTRYPOINT`, …), in order. */
export function imageSteps(op: string): Instruction[] {
  return (containerfile.stages.at(-1)?.instructions ?? []).filter((step) => step.op === op);
}

/** The image's USER, as a uid. */
export function imageUid(): number {
  return Number(imageSteps('USER').at(-1)?.args[0]?.split(':')[0]);
}

/** The base image's PATH (the official node image's). */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type Container = {
  uid: number;
  /** Writable volumes: [host directory, mount path]. */
  binds?: Array<[string, string]>;
  /** Read-only files or directories: [host path, mount path] (below /tmp, or a volume). */
  roBinds?: Array<[string, string]>;
  /** An emptyDir at /tmp (the Deployments have one; the harness init container does not). */
  hasTmp?: boolean;
  /** The host's network (loopback reaches the test's API server) instead of none. */
  hasNetwork?: boolean;
  env?: Record<string, string>;
};

/**
 * argv running `command` as a container of the image: its tree read-only as /, the Debian
 * base's /usr from this machine, the container's uid, the image's ENV and WORKDIR.
 */
export function inImage(rootfs: string, container: Container, command: string[]): string[] {
  const args = ['--ro-bind', rootfs, '/'];
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/lib', '/usr/lib64']) {
    if (existsSync(dir)) args.push('--ro-bind', dir, dir);
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  if (container.hasTmp !== false) args.push('--tmpfs', '/tmp');
  for (const [from, to] of container.binds ?? []) args.push('--bind', from, to);
  for (const [from, to] of container.roBinds ?? []) args.push('--ro-bind', from, to);
  const uid = String(container.uid);
  args.push('--unshare-all', ...(container.hasNetwork === true ? ['--share-net'] : []));
  args.push('--uid', uid, '--gid', uid, '--die-with-parent', '--clearenv');
  args.push('--setenv', 'PATH', IMAGE_PATH);
  for (const env of imageSteps('ENV')) {
    const [name = '', value = ''] = env.text.split('=');
    args.push('--setenv', name, value);
  }
  for (const [name, value] of Object.entries(container.env ?? {})) {
    args.push('--setenv', name, value);
  }
  args.push('--chdir', imageSteps('WORKDIR').at(-1)?.args[0] ?? '/', '--', ...command);
  return asUid(container.uid, args);
}

/** bwrap with `args` as `uid`: under root, as that uid on this machine too (modes hold). */
export function asUid(uid: number, args: string[]): string[] {
  if (process.getuid?.() !== 0) return ['bwrap', ...args];
  return ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'bwrap', ...args];
}

/**
 * A directory other uids may pass through: the nearest of the temporary directory and its
 * parents whose path every uid can walk (a test run's own directory is private), on the same
 * file system as the checkout where it can be, so the tree is hard links, not copies.
 */
export function walkableTmpdir(): string {
  const isWalkable = (dir: string): boolean =>
    (statSync(dir).mode & 0o001) !== 0 && (dir === dirname(dir) || isWalkable(dirname(dir)));
  let dir = tmpdir();
  while (!isWalkable(dir) && dir !== dirname(dir)) dir = dirname(dir);
  return dir;
}
