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
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  DEFAULT_HARNESS,
  HARNESS_COPY_PATH,
  HARNESS_LAYOUT,
  harnessCopyCommand,
  harnessSandboxArgs,
  renderInstall,
  resolveValues,
  SANDBOX_HARNESS_PATHS,
} from '@paddock/kube';
import { bwrapSkipReason } from '@paddock/testkit';
import { APP_DIR, assembleRootfs, type ImageSize, REPO_ROOT } from '../../scripts/build-image.ts';
import { contextFilter, stage } from '../../scripts/containerfile.ts';
import {
  asUid,
  type Container,
  containerfile,
  imageSteps,
  imageUid,
  inImage,
  walkableTmpdir,
} from './image-container.ts';

const run = promisify(execFile);
const file = containerfile;
const finalSteps = imageSteps;
/** The uid of sandbox pods (the controller's default `sandboxUid`). */
const SANDBOX_UID = 1000;

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
    assert.match(install?.text ?? '', /npm ci --omit=dev /);
    // Install scripts run there: a dependency that gains one is reviewed here first.
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean; dev?: boolean }>;
    };
    const scripted = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true && entry.dev !== true)
      .map(([key]) => key);
    assert.deepEqual(scripted, ['node_modules/opencode-ai']);
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
        // What opencode-ai's postinstall makes (its bin).
        'node_modules/opencode-ai/bin/opencode.exe',
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
      const uid = imageUid();
      const entrypoint = finalSteps('ENTRYPOINT').at(-1)?.args ?? [];
      const { stdout } = await exec(inImage(rootfs, { uid }, [...entrypoint, '--version']));
      assert.match(stdout, /^paddock 0\.1\.0 \(node 24\.\d+\.\d+\)$/m);
    });

    it("copies the harness as a sandbox pod's init container does", async () => {
      const command = harnessCopyCommand({ ...DEFAULT_HARNESS, image: 'paddock/paddock:0.1.0' });
      // No /tmp: the init container mounts nothing but its emptyDir.
      const container: Container = {
        uid: SANDBOX_UID,
        hasTmp: false,
        binds: [[harness, HARNESS_COPY_PATH]],
      };
      const { stderr } = await exec(inImage(rootfs, container, command));
      assert.match(stderr, /copied the harness to \/paddock-harness: \d+ packages/);
      assert.ok(existsSync(join(harness, HARNESS_LAYOUT.node)));
      assert.ok(existsSync(join(harness, HARNESS_LAYOUT.agentMain)));
      const modules = join(harness, HARNESS_LAYOUT.nodeModules);
      assert.ok(existsSync(join(modules, '@anthropic-ai/claude-code/cli.js')));
      assert.ok(!existsSync(join(modules, '@openai/codex')));
    });

    it('runs the copied harness in a sandbox container without Paddock', async () => {
      const args = harnessSandboxArgs(harness, [
        '--unshare-all',
        '--uid',
        String(SANDBOX_UID),
        '--gid',
        String(SANDBOX_UID),
        '--die-with-parent',
      ]);
      args.push(SANDBOX_HARNESS_PATHS.node);
      args.push(SANDBOX_HARNESS_PATHS.agentMain, 'wrap', 'command', '--prompt', 'hi', '--');
      args.push('sh', '-c', 'echo "from the pod"');
      const { stdout } = await exec(asUid(SANDBOX_UID, args));
      assert.match(stdout, /from the pod/);
      assert.match(stdout, /"type":"run\.finished"/);
    });
  });
});
