import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { enterCommand, envScript, type HostBinaries, launchCommand } from './host-commands.ts';
import { confinePath } from './sandbox-paths.ts';

const bin: HostBinaries = {
  bash: '/bin/bash',
  sh: '/bin/sh',
  bwrap: '/usr/bin/bwrap',
  nsenter: '/usr/bin/nsenter',
  setpriv: '/usr/bin/setpriv',
  unshare: '/usr/bin/unshare',
  mount: '/bin/mount',
  prlimit: '/usr/bin/prlimit',
};

describe('host commands', () => {
  it('quotes any environment value so the sandbox shell reads it back unchanged', () => {
    const env = { A: "it's", B: 'line1\nline2', C: '$HOME `id` $(id) \\ "q"', D: '' };
    const out = execFileSync(
      '/bin/sh',
      ['-c', `eval "$1"; printf '%s|' "$A" "$B" "$C" "$D"`, 'sh', envScript(env)],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(out, `it's|line1\nline2|$HOME \`id\` $(id) \\ "q"||`);
  });

  it('enters every namespace of the anchor as 1000:1000 with no new privileges, env kept off argv', () => {
    const argv = enterCommand({
      bin,
      anchorPid: 42,
      procs: ['/cg/memory/x/cgroup.procs'],
      rlimits: [],
      envFile: '/state/run/e.env',
      cwd: '/workspace',
      command: ['echo', 'hi'],
    });
    assert.equal(argv.file, '/bin/bash');
    const args = argv.args;
    const nsenter = args.indexOf('/usr/bin/nsenter');
    assert.ok(nsenter > args.indexOf('--no-new-privs'));
    assert.deepEqual(args.slice(nsenter, nsenter + 17), [
      '/usr/bin/nsenter',
      '-t',
      '42',
      '-U',
      '-m',
      '-u',
      '-i',
      '-n',
      '-p',
      '-C',
      '-r',
      '-w',
      '-S',
      '1000',
      '-G',
      '1000',
      '--',
    ]);
    assert.deepEqual(args.slice(-4), ['paddock-exec', '/workspace', 'echo', 'hi']);
    assert.ok(args.includes('/cg/memory/x/cgroup.procs'));
  });

  it('drops to the sandbox host uid after staging when privileged', () => {
    const argv = launchCommand({
      bin,
      procs: [],
      hostUid: 2_000_000_001,
      sandboxDir: '/data/sandboxes/ns/sb',
      rlimits: ['--nproc=5'],
      bwrapArgs: ['--unshare-all', '--', 'sleep', 'infinity'],
    });
    const args = argv.args;
    assert.ok(args.indexOf('/usr/bin/unshare') < args.indexOf('/usr/bin/setpriv'));
    assert.ok(args.includes('--reuid=2000000001') && args.includes('--clear-groups'));
    assert.ok(args.indexOf('/usr/bin/setpriv') < args.indexOf('/usr/bin/prlimit'));
    assert.ok(args.indexOf('/usr/bin/prlimit') < args.indexOf('/usr/bin/bwrap'));
    const unprivileged = launchCommand({
      bin,
      procs: [],
      sandboxDir: '/d',
      rlimits: [],
      bwrapArgs: ['x'],
    });
    assert.ok(!unprivileged.args.includes('/usr/bin/setpriv'));
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
