import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type BwrapPlan, buildBwrapArgs, generatedEtc } from './bwrap-launcher.ts';
import { hostSystemView, rootfsView } from './system-view.ts';

const plan: BwrapPlan = {
  hostname: 'box',
  shareNetwork: false,
  view: [
    { kind: 'bind', source: '/usr', dest: '/usr' },
    { kind: 'symlink', target: 'usr/bin', dest: '/bin' },
    { kind: 'dir', dest: '/etc' },
  ],
  generated: [{ source: '/s/etc/passwd', dest: '/etc/passwd' }],
  workspace: '/s/workspace',
  home: '/s/home',
  disableNestedUserns: true,
  infoFd: 3,
  statusFd: 4,
  anchor: ['sleep', 'infinity'],
};

/** The value following `flag` each time it occurs. */
function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('buildBwrapArgs', () => {
  it('unshares every namespace, as user 1000 without capabilities, detached from its parent', () => {
    const args = buildBwrapArgs(plan);
    for (const flag of [
      '--unshare-all',
      '--unshare-user',
      '--new-session',
      '--disable-userns',
      '--clearenv',
    ]) {
      assert.ok(args.includes(flag), flag);
    }
    assert.ok(!args.includes('--share-net'));
    assert.ok(!args.includes('--die-with-parent'));
    assert.deepEqual(valuesOf(args, '--uid'), ['1000']);
    assert.deepEqual(valuesOf(args, '--gid'), ['1000']);
    assert.deepEqual(valuesOf(args, '--cap-drop'), ['ALL']);
    assert.deepEqual(valuesOf(args, '--hostname'), ['box']);
    assert.deepEqual(args.slice(-3), ['--', 'sleep', 'infinity']);
  });

  it("rootless: /dev from the host's basic devices without devpts, and no --disable-userns", () => {
    const args = buildBwrapArgs({ ...plan, hasDevpts: false, disableNestedUserns: false });
    assert.ok(!args.includes('--dev'), 'a devpts would need a second user namespace');
    assert.ok(!args.includes('--disable-userns') && !args.includes('--assert-userns-disabled'));
    assert.deepEqual(valuesOf(args, '--tmpfs').slice(0, 2), ['/dev', '/dev/shm']);
    assert.deepEqual(
      valuesOf(args, '--dev-bind-try'),
      ['null', 'zero', 'full', 'random', 'urandom', 'tty'].map((d) => `/dev/${d}`),
    );
    assert.ok(!args.some((a) => a.includes('pts') || a.includes('ptmx')));
    assert.ok(args.indexOf('--remount-ro') > args.lastIndexOf('--dev-bind-try'));
    assert.ok(buildBwrapArgs(plan).includes('--dev'), 'as root: --dev, with its devpts');
  });

  it('mounts the view read-only and only workspace, home and tmpfs writable', () => {
    const args = buildBwrapArgs(plan);
    assert.deepEqual(valuesOf(args, '--bind'), ['/s/workspace', '/s/home']);
    assert.deepEqual(args.slice(args.indexOf('--bind'), args.indexOf('--bind') + 6), [
      '--bind',
      '/s/workspace',
      '/workspace',
      '--bind',
      '/s/home',
      '/home/user',
    ]);
    assert.deepEqual(valuesOf(args, '--ro-bind'), ['/usr', '/s/etc/passwd']);
    assert.deepEqual(valuesOf(args, '--tmpfs'), ['/dev/shm', '/tmp']);
    assert.deepEqual(valuesOf(args, '--symlink').slice(0, 1), ['usr/bin']);
    // Read-only remounts come after every mount, so nothing else stays writable.
    const lastMount = args.lastIndexOf('--bind');
    assert.ok(args.indexOf('--remount-ro') > lastMount);
    assert.deepEqual(valuesOf(args, '--remount-ro'), ['/dev', '/']);
    assert.deepEqual(valuesOf(args, '--chdir'), ['/workspace']);
  });

  it('binds template host mounts after the tools, read-only or writable, before the remounts', () => {
    const args = buildBwrapArgs({
      ...plan,
      toolMounts: [{ source: '/s/tools/0', dest: '/opt/tool' }],
      hostMounts: [
        { source: '/s/tools/1', dest: '/models', readOnly: true },
        { source: '/s/tools/2', dest: '/workspace/out', readOnly: false },
      ],
    });
    const tool = args.indexOf('/s/tools/0');
    assert.deepEqual(args.slice(tool - 1, tool + 8), [
      '--ro-bind',
      '/s/tools/0',
      '/opt/tool',
      '--ro-bind',
      '/s/tools/1',
      '/models',
      '--bind',
      '/s/tools/2',
      '/workspace/out',
    ]);
    assert.ok(args.indexOf('--remount-ro') > args.indexOf('/workspace/out'));
  });

  it('shares the network only for open egress and binds the egress socket directory', () => {
    assert.ok(buildBwrapArgs({ ...plan, shareNetwork: true }).includes('--share-net'));
    const args = buildBwrapArgs({ ...plan, egressDir: '/s/egress', tmpSizeBytes: 1024 });
    assert.ok(valuesOf(args, '--ro-bind').includes('/s/egress'));
    assert.equal(args[args.indexOf('/s/egress') + 1], '/run/paddock');
    for (const dest of ['/dev/shm', '/tmp']) {
      const at = args.indexOf(dest, args.indexOf('--proc'));
      assert.deepEqual(args.slice(at - 3, at), ['--size', '1024', '--tmpfs'], dest);
    }
  });

  it('generates passwd, group and hosts with the sandbox user and hostname', () => {
    const etc = generatedEtc('box');
    assert.match(etc.passwd, /^user:x:1000:1000:[^:]*:\/home\/user:\/bin\/bash$/m);
    assert.match(etc.group, /^user:x:1000:$/m);
    assert.match(etc.hosts, /^127\.0\.1\.1\tbox$/m);
    assert.equal(etc.hostname, 'box\n');
  });
});

describe('system view', () => {
  it('shows /usr and a filtered /etc of the host, never its secrets', () => {
    const root = mkdtempSync(join(tmpdir(), 'paddock-view-'));
    try {
      mkdirSync(join(root, 'usr/bin'), { recursive: true });
      mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
      mkdirSync(join(root, 'etc/ssl/private'), { recursive: true });
      symlinkSync('usr/bin', join(root, 'bin'));
      for (const name of [
        'shadow',
        'gshadow',
        'sudoers',
        'passwd',
        'ld.so.cache',
        'resolv.conf',
        'hosts',
      ]) {
        writeFileSync(join(root, 'etc', name), name);
      }
      const view = hostSystemView({ shareNetwork: false, hostRoot: root });
      const dests = view.map((e) => e.dest);
      assert.ok(
        dests.includes('/usr') && dests.includes('/bin') && dests.includes('/etc/ld.so.cache'),
      );
      assert.ok(dests.includes('/etc/ssl/certs') && dests.includes('/etc/ssl'));
      for (const secret of [
        '/etc/shadow',
        '/etc/gshadow',
        '/etc/sudoers',
        '/etc/passwd',
        '/etc/ssl/private',
        '/etc/hosts',
      ]) {
        assert.ok(!dests.includes(secret), secret);
      }
      assert.ok(!dests.includes('/etc/resolv.conf'));
      assert.ok(
        hostSystemView({ shareNetwork: true, hostRoot: root }).some(
          (e) => e.dest === '/etc/resolv.conf',
        ),
      );
      assert.deepEqual(
        view.find((e) => e.dest === '/bin'),
        { kind: 'symlink', target: 'usr/bin', dest: '/bin' },
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('recreates the symlinks of a directory rootfs instead of following them on the host', () => {
    const root = mkdtempSync(join(tmpdir(), 'paddock-rootfs-'));
    try {
      mkdirSync(join(root, 'usr'));
      mkdirSync(join(root, 'etc'));
      mkdirSync(join(root, 'proc'));
      symlinkSync('/root', join(root, 'evil'));
      symlinkSync('/root/.ssh', join(root, 'etc', 'ssh-keys'));
      writeFileSync(join(root, 'etc', 'shadow'), 'x');
      writeFileSync(join(root, 'etc', 'os-release'), 'x');
      const view = rootfsView({ scanPath: root, bwrapPath: '/staged', shareNetwork: false });
      assert.deepEqual(
        view.find((e) => e.dest === '/evil'),
        { kind: 'symlink', target: '/root', dest: '/evil' },
      );
      assert.deepEqual(
        view.find((e) => e.dest === '/etc/ssh-keys'),
        { kind: 'symlink', target: '/root/.ssh', dest: '/etc/ssh-keys' },
      );
      assert.deepEqual(
        view.find((e) => e.dest === '/usr'),
        { kind: 'bind', source: '/staged/usr', dest: '/usr' },
      );
      assert.ok(!view.some((e) => e.dest === '/etc/shadow' || e.dest === '/proc'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
