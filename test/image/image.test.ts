// Paddock's image (image/Containerfile) without a container engine: the Containerfile is checked
// against the repository and against what `paddock install` renders, then its file tree is
// assembled by scripts/build-image.ts and run the way a cluster runs it — as the rendered
// containers' uid, the tree read-only as /, this machine's Debian /usr standing for the base
// image's — in bubblewrap namespaces: `paddock --version`, the init container of a sandbox pod
// (`paddock controller copy-harness`, as the sandbox's uid with nothing writable but its
// emptyDir), and then the copied harness in a sandbox container that has no Paddock of its own.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  globSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  DEFAULT_HARNESS,
  HARNESS_COPY_PATH,
  HARNESS_LAYOUT,
  HARNESS_PATH,
  harnessCopyCommand,
  renderInstall,
  resolveValues,
  SANDBOX_HARNESS_PATHS,
} from '@paddock/kube';
import { bwrapSkipReason } from '@paddock/testkit';
import {
  APP_DIR,
  assembleRootfs,
  CONTAINERFILE,
  type ImageSize,
  REPO_ROOT,
} from '../../scripts/build-image.ts';
import {
  contextFilter,
  type Instruction,
  parseContainerfile,
  stage,
} from '../../scripts/containerfile.ts';

const run = promisify(execFile);
const file = parseContainerfile(readFileSync(join(REPO_ROOT, CONTAINERFILE), 'utf8'));
const final = file.stages.at(-1);
const finalSteps = (op: string): Instruction[] =>
  (final?.instructions ?? []).filter((step) => step.op === op);
/** The uid of sandbox pods (the controller's default `sandboxUid`). */
const SANDBOX_UID = 1000;
/** The base image's PATH (the official node image's). */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type Container = { uid: number; binds?: Array<[string, string]>; hasTmp?: boolean };

/**
 * argv running `command` as a container of the image: its tree read-only as /, the Debian
 * base's /usr from this machine, its USER's uid (or the pod's), its ENV and WORKDIR. Under root,
 * the namespace is entered as that uid on this machine too, so file modes are checked for real.
 */
function inImage(rootfs: string, container: Container, command: string[]): string[] {
  const args = ['--ro-bind', rootfs, '/'];
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/lib', '/usr/lib64']) {
    if (existsSync(dir)) args.push('--ro-bind', dir, dir);
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  if (container.hasTmp !== false) args.push('--tmpfs', '/tmp');
  for (const [from, to] of container.binds ?? []) args.push('--bind', from, to);
  const uid = String(container.uid);
  args.push('--unshare-all', '--uid', uid, '--gid', uid, '--die-with-parent', '--clearenv');
  args.push('--setenv', 'PATH', IMAGE_PATH);
  for (const env of finalSteps('ENV')) {
    const [name = '', value = ''] = env.text.split('=');
    args.push('--setenv', name, value);
  }
  args.push('--chdir', finalSteps('WORKDIR').at(-1)?.args[0] ?? '/', '--', ...command);
  return asUid(container.uid, args);
}

/** bwrap with `args` as `uid`: under root, as that uid on this machine too (modes hold). */
function asUid(uid: number, args: string[]): string[] {
  if (process.getuid?.() !== 0) return ['bwrap', ...args];
  return ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'bwrap', ...args];
}

/**
 * A directory other uids may pass through: the nearest of the temporary directory and its
 * parents whose path every uid can walk (a test run's own directory is private), on the same
 * file system as the checkout where it can be, so the tree is hard links, not copies.
 */
function walkableTmpdir(): string {
  const isWalkable = (dir: string): boolean =>
    (statSync(dir).mode & 0o001) !== 0 && (dir === dirname(dir) || isWalkable(dirname(dir)));
  let dir = tmpdir();
  while (!isWalkable(dir) && dir !== dirname(dir)) dir = dirname(dir);
  return dir;
}

async function exec(argv: string[]): Promise<{ stdout: string; stderr: string }> {
  const [command = '', ...rest] = argv;
  return await run(command, rest, { maxBuffer: 16 * 2 ** 20 });
}

describe('image/Containerfile', () => {
  const rendered = renderInstall(resolveValues({}));
  type PodSpec = {
    containers: Array<{ command: string[]; securityContext: { runAsUser: number } }>;
    securityContext: { runAsUser: number; runAsGroup: number };
  };
  const containers = rendered
    .filter((object) => object.kind === 'Deployment')
    .map((object) => {
      const pod = (object as unknown as { spec: { template: { spec: PodSpec } } }).spec.template
        .spec;
      return { pod, container: pod.containers[0] };
    });

  it('copies only what is in the repository and let into the build context', () => {
    const isIgnored = contextFilter(REPO_ROOT);
    const copies = file.stages.flatMap((s) =>
      s.instructions.filter((step) => step.op === 'COPY' && step.flags.from === undefined),
    );
    assert.ok(copies.length > 10);
    for (const copy of copies) {
      for (const source of copy.args.slice(0, -1)) {
        assert.ok(existsSync(join(REPO_ROOT, source)), `line ${copy.line}: ${source} is missing`);
        assert.ok(!isIgnored(source.replace(/\/+$/, '')), `line ${copy.line}: ${source} ignored`);
      }
    }
    // The context leaves out installed modules, builds, git and tests.
    for (const path of ['node_modules', 'packages/core/node_modules', 'apps/web/dist', '.git']) {
      assert.ok(isIgnored(path), `${path} is in the build context`);
    }
    assert.ok(isIgnored('packages/core/src/errors.test.ts'));
    assert.ok(!isIgnored('packages/core/src/errors.ts'));
  });

  it('installs the dependencies of every workspace from the lock file', () => {
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      workspaces: string[];
    };
    const manifests = root.workspaces
      .flatMap((pattern) => globSync(`${pattern}/package.json`, { cwd: REPO_ROOT }))
      .sort();
    const copied = stage(file, 'deps')
      .instructions.filter((step) => step.op === 'COPY')
      .flatMap((step) => step.args.slice(0, -1))
      .sort();
    assert.deepEqual(copied, ['package-lock.json', 'package.json', ...manifests].sort());
    const install = stage(file, 'deps').instructions.find((step) => step.op === 'RUN');
    assert.match(install?.text ?? '', /npm ci --omit=dev --ignore-scripts/);
  });

  it('runs Node.js as .node-version names it, as the user and command paddock install renders', () => {
    const version = readFileSync(join(REPO_ROOT, '.node-version'), 'utf8').trim();
    assert.equal(file.globalArgs.NODE_VERSION, version);
    assert.match(file.stages[0]?.from ?? '', /^docker\.io\/library\/node:\$\{NODE_VERSION\}-/);
    assert.equal(containers.length, 2);
    const user = finalSteps('USER').at(-1)?.args[0];
    const entrypoint = finalSteps('ENTRYPOINT').at(-1)?.args;
    for (const { pod, container } of containers) {
      assert.equal(user, `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`);
      assert.equal(container?.securityContext.runAsUser, pod.securityContext.runAsUser);
      assert.deepEqual(entrypoint, [container?.command[0]]);
    }
    assert.equal(harnessCopyCommand({ ...DEFAULT_HARNESS, image: 'x' })[0], entrypoint?.[0]);
    const labels = finalSteps('LABEL').map((step) => step.text);
    for (const label of ['title', 'description', 'licenses', 'version', 'revision']) {
      assert.ok(
        labels.some((text) => text.includes(`org.opencontainers.image.${label}=`)),
        `no label org.opencontainers.image.${label}`,
      );
    }
  });

  describe('its file tree', { skip: bwrapSkipReason() }, () => {
    const dir = mkdtempSync(join(walkableTmpdir(), 'paddock-image-'));
    const rootfs = join(dir, 'rootfs');
    // The harness copy is about 280 MiB: in memory where there is a tmpfs.
    const shm = existsSync('/dev/shm') ? '/dev/shm' : dir;
    const harness = mkdtempSync(join(shm, 'paddock-image-harness-'));
    let size: ImageSize;

    before(() => {
      chmodSync(dir, 0o755);
      size = assembleRootfs(rootfs);
      // The container runtime makes the emptyDir's mount point; the tree is read-only after.
      mkdirSync(join(rootfs, HARNESS_COPY_PATH));
      if (process.getuid?.() === 0) chownSync(harness, SANDBOX_UID, SANDBOX_UID);
      process.stderr.write(
        `# image tree: ${size.files} files, ${(size.total / 2 ** 20).toFixed(1)} MiB\n`,
      );
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(harness, { recursive: true, force: true });
    });

    it('holds the production dependencies, the web UI and the sources, and no tooling', () => {
      const app = join(rootfs, APP_DIR);
      for (const path of [
        'apps/web/dist/index.html',
        'apps/server/src/main.ts',
        'node_modules/@kubernetes/client-node/package.json',
        'node_modules/@anthropic-ai/claude-code/cli.js',
      ]) {
        assert.ok(existsSync(join(app, path)), `${path} is missing`);
      }
      assert.equal(readlinkSync(join(app, 'node_modules/@paddock/agent')), '../../packages/agent');
      for (const path of [
        'node_modules/typescript',
        'node_modules/vite',
        'node_modules/@biomejs',
        'node_modules/playwright-core',
        'node_modules/e2b',
        'packages/core/src/errors.test.ts',
        'apps/web/src',
      ]) {
        assert.ok(!existsSync(join(app, path)), `${path} is in the image`);
      }
      assert.ok(!existsSync(join(rootfs, 'usr/local/bin/npm')));
      assert.ok(size.node > 0 && size.dependencies > size.application);
    });

    it("is readable by any uid (the sandbox's copies it) and writable by none", () => {
      const wrong: string[] = [];
      const walk = (path: string) => {
        const stat = lstatSync(path);
        if (stat.isSymbolicLink()) return;
        const needed = stat.isDirectory() ? 0o005 : 0o004;
        if ((stat.mode & needed) !== needed || (stat.mode & 0o022) !== 0) wrong.push(path);
        if (stat.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
      };
      walk(join(rootfs, APP_DIR));
      assert.deepEqual(wrong.slice(0, 10), []);
    });

    it('runs paddock from PATH as its user, read-only', async () => {
      const uid = Number(finalSteps('USER').at(-1)?.args[0]?.split(':')[0]);
      const entrypoint = finalSteps('ENTRYPOINT').at(-1)?.args ?? [];
      const { stdout } = await exec(inImage(rootfs, { uid }, [...entrypoint, '--version']));
      assert.match(stdout, /^paddock 0\.1\.0 \(node 24\.\d+\.\d+\)$/m);
    });

    it("copies the harness as a sandbox pod's init container does", async () => {
      const command = harnessCopyCommand({ ...DEFAULT_HARNESS, image: 'paddock/paddock:0.1.0' });
      // No /tmp: the init container mounts nothing but its emptyDir.
      const container = { uid: SANDBOX_UID, hasTmp: false, binds: [[harness, HARNESS_COPY_PATH]] };
      const { stderr } = await exec(inImage(rootfs, container as Container, command));
      assert.match(stderr, /copied the harness to \/paddock-harness: \d+ packages/);
      assert.ok(existsSync(join(harness, HARNESS_LAYOUT.node)));
      assert.ok(existsSync(join(harness, HARNESS_LAYOUT.agentMain)));
      const modules = join(harness, HARNESS_LAYOUT.nodeModules);
      assert.ok(existsSync(join(modules, '@anthropic-ai/claude-code/cli.js')));
      assert.ok(!existsSync(join(modules, '@openai/codex')));
    });

    it('runs the copied harness in a sandbox container without Paddock', async () => {
      // The sandbox image: this machine's /usr and /etc (debian:bookworm-slim stands for it).
      const args = ['--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc'];
      for (const top of ['bin', 'sbin', 'lib', 'lib64']) {
        const path = `/${top}`;
        if (!existsSync(path)) continue;
        if (lstatSync(path).isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
        else args.push('--ro-bind', path, path);
      }
      args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/workspace');
      args.push('--ro-bind', harness, HARNESS_PATH, '--chdir', '/workspace', '--clearenv');
      args.push('--setenv', 'PATH', '/usr/bin:/bin', '--setenv', 'HOME', '/tmp');
      args.push('--unshare-all', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID));
      args.push('--die-with-parent', '--', SANDBOX_HARNESS_PATHS.node);
      args.push(SANDBOX_HARNESS_PATHS.agentMain, 'wrap', 'command', '--prompt', 'hi', '--');
      args.push('sh', '-c', 'echo "from the pod"');
      const { stdout } = await exec(asUid(SANDBOX_UID, args));
      assert.match(stdout, /from the pod/);
      assert.match(stdout, /"type":"run\.finished"/);
    });
  });
});
