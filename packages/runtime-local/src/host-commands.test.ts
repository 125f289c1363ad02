import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import {
  enterCommand,
  envFileContent,
  type HostBinaries,
  type LaunchOptions,
  launchCommand,
} from './host-commands.ts';
import { confinePath } from './sandbox-paths.ts';

const bin: HostBinaries = { bash: '/bin/bash', perl: '/usr/bin/perl', bwrap: '/usr/bin/bwrap' };
const isRoot = process.getuid?.() === 0;
const scratch = mkdtempSync(join(tmpdir(), 'paddock-host-commands-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a launch command line with `tail` in place of bwrap; stdout, or the failure's stderr. */
function launch(options: Partial<LaunchOptions>, tail: string[]): string {
  const argv = launchCommand({
    bin: { ...bin, bwrap: tail[0] ?? '/bin/sh' },
    procs: [],
    sandboxDir: scratch,
    rlimits: [],
    keep: [],
    bwrapArgs: tail.slice(1),
    ...options,
  });
  return execFileSync(argv.file, argv.args, { encoding: 'utf8', cwd: '/' });
}

describe('host commands', () => {
  it('writes the environment as NUL-ended pairs, any value kept unchanged', () => {
    const env = { A: "it's", B: 'line1\nline2', C: '$HOME `id` $(id) \\ "q" a=b', D: '' };
    const pairs = envFileContent(env).split('\0');
    assert.equal(pairs.pop(), '');
    assert.deepEqual(
      Object.fromEntries(
        pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
      ),
      env,
    );
  });

  it('applies rlimits and closes every descriptor it was not told to keep, then execs', () => {
    const fd = openSync(join(scratch, 'inherited'), 'w');
    try {
      const out = launch({ rlimits: [{ resource: 6, value: 77 }] }, [
        '/bin/bash',
        '-c',
        'ulimit -u; ls /proc/self/fd | sort -n | tr "\\n" " "',
        'sh',
      ]);
      const [nproc, fds] = out.split('\n');
      assert.equal(nproc, '77');
      // 0, 1, 2 and the descriptor `ls` opens on /proc/self/fd: the inherited one is gone.
      assert.ok(!fds?.split(' ').includes(String(fd)), fds);
    } finally {
      closeSync(fd);
    }
  });

  it('as root, stages the sandbox directory under /tmp and drops to the host uid with no groups', {
    skip: isRoot ? false : 'needs root',
  }, () => {
    // Its parent stays closed (0700, root's): only the staging reaches it.
    const dir = mkdtempSync(join(scratch, 'box-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'marker'), '');
    const tool = mkdtempSync(join(scratch, 'tool-'));
    chmodSync(tool, 0o755);
    writeFileSync(join(tool, 'tool-file'), '');
    const out = launch({ sandboxDir: dir, hostUid: 2_000_000_123, stagedDirs: [tool] }, [
      '/bin/sh',
      '-c',
      'id -u; id -g; id -G; ls /tmp/sandbox; ls /tmp/tools/0; ls -A /tmp',
      'sh',
    ]);
    // The mount points are on a tmpfs of the staging namespace: none is made in the directory.
    assert.deepEqual(out.trim().split('\n'), [
      '2000000123',
      '2000000123',
      '2000000123',
      'marker',
      'tool-file',
      'sandbox',
      'tools',
    ]);
    assert.deepEqual(readdirSync(dir), ['marker']);
  });

  it('as root, refuses a staged directory that is no longer the path that was checked', {
    skip: isRoot ? false : 'needs root',
  }, () => {
    const dir = mkdtempSync(join(scratch, 'box-'));
    chmodSync(dir, 0o755);
    const checked = mkdtempSync(join(scratch, 'allowed-'));
    // Swapped for a link to elsewhere after the check: the launch must not follow it.
    rmSync(checked, { recursive: true });
    symlinkSync(mkdtempSync(join(scratch, 'elsewhere-')), checked);
    assert.throws(
      () =>
        launch({ sandboxDir: dir, hostUid: 2_000_000_123, stagedDirs: [checked] }, ['/bin/true']),
      (error: Error & { stderr?: string }) =>
        /changed since it was checked/.test(error.stderr ?? ''),
    );
  });

  it('enters as the sandbox user only when privileged, with the seccomp program when given', () => {
    const common = {
      bin,
      anchorPid: 42,
      procs: ['/cg/memory/x/cgroup.procs'],
      rlimits: [],
      env: { file: '/state/run/e.env' },
      cwd: '/workspace',
      command: ['echo', 'hi'],
    };
    const root = enterCommand({ ...common, isPrivileged: true, seccompFile: '/s/filter.bpf' });
    assert.equal(root.file, '/usr/bin/perl');
    assert.deepEqual(root.args.slice(-3), ['--', 'echo', 'hi']);
    for (const word of [
      'enter',
      'pid=42',
      'cgroup=/cg/memory/x/cgroup.procs',
      'env=/state/run/e.env',
    ])
      assert.ok(root.args.includes(word), word);
    assert.ok(root.args.includes('user=1000:1000') && root.args.includes('seccomp=/s/filter.bpf'));
    const rootless = enterCommand({ ...common, isPrivileged: false });
    assert.ok(!rootless.args.some((a) => a.startsWith('user=') || a.startsWith('seccomp=')));
    assert.equal(root.requestWords, undefined);
  });

  it('puts an environment given as pairs in request words, never in argv', () => {
    const argv = enterCommand({
      bin,
      anchorPid: 42,
      procs: [],
      rlimits: [],
      env: { pairs: { TOKEN: 'secret=1', EMPTY: '' } },
      cwd: '/workspace',
      isPrivileged: true,
      command: ['echo', 'hi'],
    });
    assert.ok(argv.args.includes('envwords=2'));
    assert.ok(!argv.args.some((a) => a.includes('secret')));
    assert.deepEqual(argv.requestWords, ['TOKEN=secret=1', 'EMPTY=']);
  });

  it('refuses environment words that came in argv rather than on a request descriptor', () => {
    const argv = enterCommand({
      bin,
      anchorPid: 42,
      procs: [],
      rlimits: [],
      env: { pairs: { TOKEN: 'x' } },
      cwd: '/',
      isPrivileged: false,
      command: ['/bin/true'],
    });
    assert.throws(
      () =>
        execFileSync(argv.file, [...argv.args, ...(argv.requestWords ?? [])], {
          encoding: 'utf8',
          stdio: 'pipe',
        }),
      (error: Error & { status?: number; stderr?: string }) =>
        error.status === 126 && /only on a request descriptor/.test(error.stderr ?? ''),
    );
  });
});

describe('confinePath', () => {
  it('normalises and keeps paths inside the writable roots', () => {
    assert.equal(confinePath('/workspace/a/../b/'), '/workspace/b');
    assert.equal(confinePath('/tmp'), '/tmp');
    assert.equal(confinePath('/home/user/.config/x'), '/home/user/.config/x');
    for (const outside of [
      '/etc/passwd',
      '/workspace/../etc',
      '/',
      '/workspacex',
      '/home/other',
      '/../../tmp/../root',
    ]) {
      assert.throws(
        () => confinePath(outside),
        (e) => isPaddockError(e, 'path_outside_sandbox'),
        outside,
      );
    }
    assert.throws(
      () => confinePath('workspace/a'),
      (e) => isPaddockError(e, 'validation_failed'),
    );
  });
});
