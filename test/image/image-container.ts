// Test support: running a command as a container of Paddock's image (image/Containerfile) whose
// file tree scripts/build-image.ts assembled, in a bubblewrap namespace, as a cluster runs it.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HARNESS_COPY_PATH } from '@paddock/kube';
import {
  assembleRootfs,
  CONTAINERFILE,
  type ImageSize,
  REPO_ROOT,
} from '../../scripts/build-image.ts';
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

/** Where the server's Deployment mounts its volume (a mount point the tree has). */
export const SERVER_HOME = '/var/lib/paddock';

export type ImageTree = {
  rootfs: string;
  size: ImageSize;
  /** Removes the tree unless the test run shares it (the run's end removes it then). */
  remove: () => void;
};

/**
 * The image's tree built with `AGENT_CLIS=agentClis`, with the mount points its containers need,
 * below the test run's temporary directory (test/leak-check.ts sets TMPDIR and removes it after
 * the run): assembled once per run, by whichever test file asks first, and shared by the others.
 * Outside a run (no global set-up) each caller assembles its own and removes it.
 */
export async function imageTree(agentClis = 'all'): Promise<ImageTree> {
  const dir = walkableTmpdir();
  if (!isTestRunDir(dir)) {
    const own = mkdtempSync(join(dir, `paddock-image-${agentClis}-`));
    chmodSync(own, 0o755);
    const rootfs = join(own, 'rootfs');
    const size = assemble(rootfs, agentClis);
    return { rootfs, size, remove: () => rmSync(own, { recursive: true, force: true }) };
  }
  const shared = join(dir, `paddock-image-${agentClis}`);
  const rootfs = join(shared, 'rootfs');
  const done = join(shared, 'size.json');
  const failed = join(shared, 'failed');
  const remove = () => {};
  try {
    mkdirSync(shared, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another test file of the run assembles it: wait for it (a few seconds; ten minutes at most).
    for (let waited = 0; !existsSync(done); waited += 200) {
      if (existsSync(failed)) throw new Error(`assembling ${rootfs}: ${readFileSync(failed)}`);
      if (waited > 600_000) throw new Error(`${rootfs} was not assembled in 10 minutes`);
      await sleep(200);
    }
    return { rootfs, size: JSON.parse(readFileSync(done, 'utf8')) as ImageSize, remove };
  }
  try {
    chmodSync(shared, 0o755);
    const size = assemble(rootfs, agentClis);
    writeFileSync(done, JSON.stringify(size));
    return { rootfs, size, remove };
  } catch (error) {
    writeFileSync(failed, String(error));
    throw error;
  }
}

/** The tree, and the mount points a container runtime would make in it (it is read-only after). */
function assemble(rootfs: string, agentClis: string): ImageSize {
  const size = assembleRootfs(rootfs, { agentClis });
  mkdirSync(join(rootfs, HARNESS_COPY_PATH));
  mkdirSync(join(rootfs, SERVER_HOME), { recursive: true });
  return size;
}

/**
 * The temporary directory, made passable (not listable) by every uid: the image's containers run
 * as other uids than the test's (65532, the sandbox's 1000) and bubblewrap, started as them, binds
 * paths below it. A test run's own directory is private (0700): it gains o+x. Any other must be
 * passable already, as its parents (`/tmp` is).
 */
export function walkableTmpdir(): string {
  const dir = tmpdir();
  const mode = statSync(dir).mode;
  if ((mode & 0o001) === 0 && isTestRunDir(dir)) chmodSync(dir, (mode & 0o7777) | 0o111);
  for (let at = dir; at !== dirname(at); at = dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) {
      throw new Error(`${at} cannot be passed by other uids: set TMPDIR below one that can`);
    }
  }
  return dir;
}

/** Whether `dir` is the temporary directory test/leak-check.ts made for a test run. */
function isTestRunDir(dir: string): boolean {
  return basename(dir).startsWith('paddock-test-run-');
}
