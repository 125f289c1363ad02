// Paddock's image (image/Containerfile) without a container engine: the Containerfile is checked
// against the repository and against what `paddock install` renders, then its file tree is
// assembled by scripts/build-image.ts and run the way a cluster runs it — as the rendered
// containers' uid, the tree read-only as /, this machine's Debian /usr standing for the base
// image's — in bubblewrap namespaces: `paddock --version`, the init container of a sandbox pod
// (`paddock controller copy-harness`, as the sandbox's uid with nothing writable but its
// emptyDir), and then the copied harness in a sandbox container that has no Paddock of its own.
// Built without the agent CLIs (`AGENT_CLIS=none`), the tree lacks exactly the packages only they
// need, and a run of their harness kinds fails naming the missing CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chownSync,
  existsSync,
  globSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { dirname, join, matchesGlob } from 'node:path';
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
import { APP_DIR, agentCliRemovals, REPO_ROOT } from '../../scripts/build-image.ts';
import { contextFilter, stage } from '../../scripts/containerfile.ts';
import {
  asUid,
  type Container,
  containerfile,
  type ImageTree,
  imageSteps,
  imageTree,
  imageUid,
  inImage,
  walkableTmpdir,
} from './image-container.ts';

const run = promisify(execFile);
const file = containerfile;
const finalSteps = imageSteps;
/** The uid of sandbox pods (the controller's default `sandboxUid`). */
const SANDBOX_UID = 1000;
/** The npm package of each external agent CLI (`@paddock/agent`'s optional dependencies). */
const CLI_PACKAGES: Record<string, string> = {
  'claude-code': '@anthropic-ai/claude-code',
  codex: '@openai/codex',
  opencode: 'opencode-ai',
};

type LockEntry = {
  link?: boolean;
  resolved?: string;
  dev?: boolean;
  hasInstallScript?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

/**
 * The lock file's packages a production install reaches from the workspaces, as Node resolves
 * each dependency (its own node_modules, then each one above), not passing through `skipped`.
 */
function reachable(skipped: ReadonlySet<string>): Set<string> {
  const seen = new Set<string>();
  const queue = Object.keys(lock.packages).filter((key) => !key.includes('node_modules/'));
  while (queue.length > 0) {
    const key = queue.pop() ?? '';
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = lock.packages[key] ?? {};
    if (entry.link === true) {
      queue.push(entry.resolved ?? '');
      continue;
    }
    const names = Object.keys({
      ...entry.dependencies,
      ...entry.optionalDependencies,
      ...entry.peerDependencies,
    });
    for (const name of names) {
      if (skipped.has(name)) continue;
      for (let dir = key; ; dir = dirname(dir)) {
        const candidate = join(dir === '.' ? '' : dir, 'node_modules', name);
        if (lock.packages[candidate] !== undefined) {
          queue.push(candidate);
          break;
        }
        if (dir === '.' || dir === '') break;
      }
    }
  }
  return seen;
}

/** The lock's packages that `rm -rf` of `globs` removes (a package or a directory above it). */
function removedBy(globs: readonly string[]): Set<string> {
  return new Set(
    Object.keys(lock.packages).filter((key) => {
      const parts = key.split('/');
      return parts.some((_, n) =>
        globs.some((g) => matchesGlob(parts.slice(0, n + 1).join('/'), g)),
      );
    }),
  );
}

async function exec(argv: string[]): Promise<{ stdout: string; stderr: string }> {
  const [command = '', ...rest] = argv;
  return await run(command, rest, { maxBuffer: 16 * 2 ** 20 });
}

/** `exec`, resolving with the exit code instead of rejecting when it is not 0. */
async function execStatus(
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await exec(argv)) };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The init container's `copy-harness` (the default CLIs) from `rootfs` into `harness`. */
async function copyHarnessFrom(rootfs: string, harness: string): Promise<string> {
  const command = harnessCopyCommand({ ...DEFAULT_HARNESS, image: 'paddock/paddock:0.1.0' });
  // No /tmp: the init container mounts nothing but its emptyDir.
  const container: Container = {
    uid: SANDBOX_UID,
    hasTmp: false,
    binds: [[harness, HARNESS_COPY_PATH]],
  };
  const { stderr } = await exec(inImage(rootfs, container, command));
  return stderr;
}

/** argv running the copied `harness`'s `paddock-agent` with `args` in a sandbox container. */
function inSandbox(harness: string, args: string[]): string[] {
  const bwrap = harnessSandboxArgs(harness, [
    '--unshare-all',
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_UID),
    '--die-with-parent',
  ]);
  bwrap.push(SANDBOX_HARNESS_PATHS.node, SANDBOX_HARNESS_PATHS.agentMain, ...args);
  return asUid(SANDBOX_UID, bwrap);
}

/** The init container's emptyDir for the harness copy, the sandbox uid's. */
function harnessVolume(): string {
  const harness = mkdtempSync(join(walkableTmpdir(), 'paddock-image-harness-'));
  if (process.getuid?.() === 0) chownSync(harness, SANDBOX_UID, SANDBOX_UID);
  return harness;
}

function describeSize(what: string, size: ImageTree['size']): void {
  process.stderr.write(
    `# ${what}: ${size.files} files, ${(size.total / 2 ** 20).toFixed(1)} MiB\n`,
  );
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
    assert.doesNotMatch(install?.text ?? '', /--omit=optional/);
    // Install scripts run there: a dependency that gains one is reviewed here first.
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

  it('leaves out, for each AGENT_CLIS, exactly the packages only the CLIs left out need', () => {
    const agent = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/agent/package.json'), 'utf8'))
      .optionalDependencies as Record<string, string>;
    assert.deepEqual(Object.keys(agent).sort(), Object.values(CLI_PACKAGES).sort());
    const removals = agentCliRemovals(file);
    assert.deepEqual([...removals.keys()], ['all', 'claude-code', 'none']);
    assert.equal(file.globalArgs.AGENT_CLIS, 'all');
    const everything = reachable(new Set());
    for (const [value, globs] of removals) {
      const kept = value === 'all' ? Object.keys(CLI_PACKAGES) : value === 'none' ? [] : [value];
      const left = Object.entries(CLI_PACKAGES).filter(([cli]) => !kept.includes(cli));
      const without = reachable(new Set(left.map(([, pkg]) => pkg)));
      const onlyTheirs = [...everything].filter((key) => !without.has(key)).sort();
      assert.deepEqual([...removedBy(globs)].sort(), onlyTheirs, `AGENT_CLIS=${value}`);
      for (const [, pkg] of left) assert.ok(onlyTheirs.includes(`node_modules/${pkg}`), pkg);
    }
  });

  describe('its file tree', { skip: bwrapSkipReason() }, () => {
    let tree: ImageTree;
    let rootfs: string;
    let harness: string;

    before(async () => {
      tree = await imageTree();
      rootfs = tree.rootfs;
      harness = harnessVolume(); // The copy is about 280 MiB.
      describeSize('image tree', tree.size);
    });
    after(() => {
      if (harness !== undefined) rmSync(harness, { recursive: true, force: true });
      tree?.remove();
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
      assert.ok(tree.size.node > 0 && tree.size.dependencies > tree.size.application);
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
      const stderr = await copyHarnessFrom(rootfs, harness);
      assert.match(stderr, /copied the harness to \/paddock-harness: \d+ packages/);
      assert.ok(existsSync(join(harness, HARNESS_LAYOUT.node)));
      assert.ok(existsSync(join(harness, HARNESS_LAYOUT.agentMain)));
      const modules = join(harness, HARNESS_LAYOUT.nodeModules);
      assert.ok(existsSync(join(modules, '@anthropic-ai/claude-code/cli.js')));
      assert.ok(!existsSync(join(modules, '@openai/codex')));
    });

    it('runs the copied harness in a sandbox container without Paddock', async () => {
      const wrap = ['wrap', 'command', '--prompt', 'hi', '--', 'sh', '-c', 'echo "from the pod"'];
      const { stdout } = await exec(inSandbox(harness, wrap));
      assert.match(stdout, /from the pod/);
      assert.match(stdout, /"type":"run\.finished"/);
    });
  });

  describe('its file tree built with AGENT_CLIS=none', { skip: bwrapSkipReason() }, () => {
    let full: ImageTree;
    let slim: ImageTree;
    let harness: string;

    before(async () => {
      full = await imageTree();
      slim = await imageTree('none');
      harness = harnessVolume();
      describeSize('image tree', full.size);
      describeSize('image tree without the agent CLIs', slim.size);
    });
    after(() => {
      if (harness !== undefined) rmSync(harness, { recursive: true, force: true });
      slim?.remove();
      full?.remove();
    });

    it('holds every package of the full tree but those only the CLIs need', () => {
      const removed = removedBy(agentCliRemovals(file).get('none') ?? []);
      const inFull = Object.keys(lock.packages).filter(
        (key) => key.includes('node_modules/') && existsSync(join(full.rootfs, APP_DIR, key)),
      );
      const missing = inFull.filter((key) => !existsSync(join(slim.rootfs, APP_DIR, key)));
      assert.deepEqual(
        missing,
        inFull.filter((key) => removed.has(key)),
      );
      for (const pkg of Object.values(CLI_PACKAGES))
        assert.ok(missing.includes(`node_modules/${pkg}`));
      assert.ok(slim.size.dependencies < full.size.dependencies);
    });

    it('copies a harness without them; a run of their kinds fails naming the missing CLI', async () => {
      // The controller's default --clis=claude-code: what the image lacks is not copied.
      const said = await copyHarnessFrom(slim.rootfs, harness);
      assert.match(said, /copied the harness/);
      assert.match(said, /not in this image, not copied: the claude-code CLI/);
      const modules = join(harness, HARNESS_LAYOUT.nodeModules);
      assert.ok(existsSync(join(modules, 'zod')));
      assert.ok(!existsSync(join(modules, '@anthropic-ai/claude-code')));
      for (const [kind, pkg] of Object.entries(CLI_PACKAGES)) {
        const ran = await execStatus(inSandbox(harness, ['wrap', kind, '--prompt', 'hi']));
        assert.notEqual(ran.code, 0, kind);
        const finished = ran.stdout
          .split('\n')
          .filter((line) => line.includes('"run.finished"'))
          .map((line) => JSON.parse(line) as { outcome: string; message: string });
        assert.equal(finished.length, 1, ran.stdout);
        assert.equal(finished[0]?.outcome, 'failed');
        assert.match(
          finished[0]?.message ?? '',
          new RegExp(`^the ${kind} CLI is not installed: the package ${pkg} is missing`),
        );
        assert.doesNotMatch(ran.stderr, /\n\s+at /, `${kind}: a stack trace`);
      }
    });
  });
});
