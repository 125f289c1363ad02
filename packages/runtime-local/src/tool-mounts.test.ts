import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import { buildBwrapArgs } from './bwrap-launcher.ts';
import { ociConfig } from './gvisor.ts';
import { findExecutable } from './host-binaries.ts';
import { type HostBinaries, launchCommand } from './host-commands.ts';
import { createLocalRuntime } from './local-runtime.ts';
import { rootfsView } from './system-view.ts';
import { createTestWorld, run, sh, skipReason, type TestWorld } from './test-sandboxes.ts';
import { checkToolMounts, type ToolMount } from './tool-mounts.ts';

const scratch = mkdtempSync(join(tmpdir(), 'paddock-tools-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A tool directory behind a 0700 parent: the sandbox's host uid cannot walk to it itself. */
function makeTool(): string {
  const closed = mkdtempSync(join(scratch, 'closed-'));
  const tool = join(closed, 'tool');
  mkdirSync(join(tool, 'bin'), { recursive: true, mode: 0o755 });
  writeFileSync(join(tool, 'README'), 'tool-readme\n', { mode: 0o644 });
  writeFileSync(join(tool, 'bin', 'hello'), '#!/bin/sh\necho "hello from $0"\n', { mode: 0o755 });
  chmodSync(closed, 0o700);
  return tool;
}

/** The issue paths of a `validation_failed` thrown by `body`. */
function issuePaths(body: () => unknown): string[] {
  try {
    body();
  } catch (error) {
    assert.ok(isPaddockError(error, 'validation_failed'), String(error));
    const issues = (error.details as { issues?: Array<{ path: string }> }).issues ?? [];
    return issues.map((issue) => issue.path);
  }
  assert.fail('expected validation_failed');
}

const bin: HostBinaries = { bash: '/bin/bash', perl: '/usr/bin/perl', bwrap: '/usr/bin/bwrap' };

describe('tool mounts: validation', () => {
  const dataDir = join(scratch, 'data');
  const tool = makeTool();
  mkdirSync(join(dataDir, 'sandboxes'), { recursive: true });
  writeFileSync(join(scratch, 'a-file'), '');

  it('accepts directories under /opt/ and resolves their sources', () => {
    const mounts = checkToolMounts(
      [
        { source: tool, dest: '/opt/tool' },
        { source: `${tool}/../tool/bin`, dest: '/opt/paddock/bin' },
      ],
      dataDir,
    );
    assert.deepEqual(mounts, [
      { source: tool, dest: '/opt/tool' },
      { source: join(tool, 'bin'), dest: '/opt/paddock/bin' },
    ]);
    assert.deepEqual(checkToolMounts(undefined, dataDir), []);
  });

  it('refuses a dest that is not an absolute, normalised path under /opt/', () => {
    const dests = ['opt/x', '/usr/local/x', '/opt', '/opt/', '/opt/x/', '/opt/a/../b', '/opt//x'];
    const mounts = dests.map((dest) => ({ source: tool, dest }));
    assert.deepEqual(
      issuePaths(() => checkToolMounts(mounts, dataDir)),
      dests.map((_, i) => `toolMounts[${i}].dest`),
    );
  });

  it('refuses overlapping dests', () => {
    const mounts: ToolMount[] = [
      { source: tool, dest: '/opt/a' },
      { source: tool, dest: '/opt/a/b' },
      { source: tool, dest: '/opt/ab' },
      { source: tool, dest: '/opt/ab' },
    ];
    assert.deepEqual(
      issuePaths(() => checkToolMounts(mounts, dataDir)),
      ['toolMounts[1].dest', 'toolMounts[3].dest'],
    );
  });

  it('refuses a source that is missing, a file, the host root or around the data directory', () => {
    const sources = [
      join(scratch, 'missing'),
      join(scratch, 'a-file'),
      '/',
      join(dataDir, 'sandboxes'),
      scratch,
      '',
    ];
    const mounts = sources.map((source, i) => ({ source, dest: `/opt/t${i}` }));
    assert.deepEqual(
      issuePaths(() => checkToolMounts(mounts, dataDir)),
      sources.map((_, i) => `toolMounts[${i}].source`),
    );
  });

  it('is checked when the runtime is created', () => {
    const paths = issuePaths(() =>
      createLocalRuntime({
        root: join(dataDir, 'sandboxes'),
        toolMounts: [{ source: tool, dest: '/usr/bin/tool' }],
      }),
    );
    assert.deepEqual(paths, ['toolMounts[0].dest']);
  });
});

describe('tool mounts: command lines', () => {
  it('binds each tool read-only before the root is made read-only', () => {
    const args = buildBwrapArgs({
      hostname: 'box',
      shareNetwork: false,
      view: [{ kind: 'bind', source: '/usr', dest: '/usr' }],
      generated: [],
      workspace: '/s/workspace',
      home: '/s/home',
      toolMounts: [
        { source: '/s/tools/0', dest: '/opt/node' },
        { source: '/s/tools/1', dest: '/opt/paddock' },
      ],
      disableNestedUserns: true,
      infoFd: 3,
      statusFd: 4,
      anchor: ['sleep', 'infinity'],
    });
    const at = args.indexOf('/s/tools/0');
    assert.deepEqual(args.slice(at - 1, at + 5), [
      '--ro-bind',
      '/s/tools/0',
      '/opt/node',
      '--ro-bind',
      '/s/tools/1',
      '/opt/paddock',
    ]);
    assert.ok(args.lastIndexOf('--remount-ro') > at);
    assert.ok(!args.includes('--bind') || args.lastIndexOf('--bind') < at);
  });

  it('stages each tool directory when privileged, and passes none otherwise', () => {
    const common = {
      bin,
      procs: [],
      sandboxDir: '/data/sandboxes/ns/box',
      rlimits: [],
      keep: [],
      bwrapArgs: ['--unshare-all'],
      stagedDirs: ['/root/node', '/work/agent'],
    };
    const privileged = launchCommand({ ...common, hostUid: 2_000_000_000 }).args;
    assert.deepEqual(
      privileged.filter((a) => /^(uid|sandbox|rootfs|dir)=/.test(a)),
      ['uid=2000000000', 'sandbox=/data/sandboxes/ns/box', 'dir=/root/node', 'dir=/work/agent'],
    );
    const plain = launchCommand(common).args;
    assert.ok(!plain.some((a) => /^(uid|sandbox|dir)=/.test(a)));
  });

  it("makes room in a rootfs's /opt: its entries one by one, minus those a tool replaces", () => {
    const rootfs = mkdtempSync(join(scratch, 'rootfs-'));
    for (const dir of ['usr', 'opt/vendor', 'opt/tool'])
      mkdirSync(join(rootfs, dir), { recursive: true });
    const plain = rootfsView({ scanPath: rootfs, bwrapPath: '/r', shareNetwork: false });
    assert.ok(plain.some((e) => e.kind === 'bind' && e.dest === '/opt'));
    const view = rootfsView({
      scanPath: rootfs,
      bwrapPath: '/r',
      shareNetwork: false,
      toolDests: ['/opt/tool', '/opt/new/deep'],
    });
    const opt = view.filter((e) => e.dest === '/opt' || e.dest.startsWith('/opt/'));
    assert.deepEqual(opt, [
      { kind: 'dir', dest: '/opt' },
      { kind: 'bind', source: '/r/opt/vendor', dest: '/opt/vendor' },
    ]);
  });

  it('gives gVisor the same read-only binds', () => {
    const config = ociConfig({
      hostname: 'box',
      view: [],
      generated: [],
      workspace: '/s/workspace',
      home: '/s/home',
      toolMounts: [{ source: '/root/node', dest: '/opt/node' }],
    });
    const mounts = config.mounts as Array<{
      destination: string;
      source: string;
      options?: string[];
    }>;
    const node = mounts.find((m) => m.destination === '/opt/node');
    assert.equal(node?.source, '/root/node');
    assert.ok(node?.options?.includes('ro') && !node.options.includes('rw'));
  });
});

describe('tool mounts: in a sandbox', { skip: skipReason, timeout: 120_000 }, () => {
  // The provisioned Node's install directory: typically under /root, closed to sandbox uids.
  const nodeDir = dirname(dirname(process.execPath));
  let tool: string;
  let world: TestWorld;
  let box: SandboxRef;
  before(async () => {
    tool = makeTool();
    world = createTestWorld({
      toolMounts: [
        { source: tool, dest: '/opt/tool' },
        { source: nodeDir, dest: '/opt/node' },
      ],
    });
    box = await world.provision({});
  });
  after(async () => {
    await world?.cleanup();
  });

  it('sees the files of a tool directory behind a closed parent, and runs its programs', async () => {
    const result = await sh(world.runtime, box, 'cat /opt/tool/README && /opt/tool/bin/hello');
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, 'tool-readme\nhello from /opt/tool/bin/hello\n');
  });

  it('runs the provisioned Node.js from its mount', async () => {
    const result = await run(world.runtime, box, ['/opt/node/bin/node', '-e', 'console.log(40+2)']);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, '42\n');
    assert.equal(result.exitCode, 0);
  });

  it('cannot write to a tool mount, and /opt holds nothing else of the host', async () => {
    const write = await sh(
      world.runtime,
      box,
      'touch /opt/tool/x; echo data > /opt/tool/README; mkdir /opt/tool/bin/y; touch /opt/new; ls -A /opt',
    );
    assert.match(write.stderr, /Read-only file system|Permission denied/);
    assert.doesNotMatch(write.stderr, /No such file/);
    assert.equal(write.stdout, 'node\ntool\n');
    assert.equal((await sh(world.runtime, box, 'cat /opt/tool/README')).stdout, 'tool-readme\n');
  });

  it('keeps its tool mounts across stop and start, and in a second sandbox', async () => {
    await world.runtime.stop(box);
    await world.runtime.start(box);
    const again = await sh(world.runtime, box, 'cat /opt/tool/README');
    assert.equal(again.stdout, 'tool-readme\n');
    const other = await world.provision({ network: { egress: 'open' } });
    const seen = await sh(world.runtime, other, 'ls -A /opt && /opt/tool/bin/hello');
    assert.equal(seen.stdout, 'node\ntool\nhello from /opt/tool/bin/hello\n');
    await world.runtime.destroy(other);
  });
});

describe('tool mounts: under gVisor', {
  skip:
    skipReason ??
    (findExecutable('runsc') === undefined ? 'runsc (gVisor) is not installed' : undefined),
  timeout: 120_000,
}, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld({ toolMounts: [{ source: makeTool(), dest: '/opt/tool' }] });
  });
  after(async () => {
    await world?.cleanup();
  });

  it('sees and runs the tool, read-only', async () => {
    const box = await world.provision({ isolation: 'gvisor' });
    const result = await sh(
      world.runtime,
      box,
      'cat /opt/tool/README; /opt/tool/bin/hello; touch /opt/tool/x && echo wrote',
    );
    assert.equal(result.stdout, 'tool-readme\nhello from /opt/tool/bin/hello\n');
    assert.match(result.stderr, /Read-only file system|Permission denied/);
  });
});
