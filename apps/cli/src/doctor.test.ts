// Each doctor probe on its own, then `paddock doctor` as a child process against a real server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from '@paddock/client';
import { bwrapSkipReason, startPaddockProcess } from '@paddock/testkit';
import { checkCgroups } from './doctor/cgroup-check.ts';
import { CheckStatus, type DoctorCheck, formatChecks, hasFailure } from './doctor/check.ts';
import { checkCheckpoint } from './doctor/checkpoint-check.ts';
import { checkDataDir } from './doctor/data-dir-check.ts';
import {
  checkBwrap,
  checkPerl,
  checkRunsc,
  checkSocat,
  findExecutable,
} from './doctor/host-binaries.ts';
import { checkRoot, checkUserNamespaces } from './doctor/kernel-checks.ts';
import { checkNodeVersion } from './doctor/node-check.ts';
import { checkServer } from './doctor/server-check.ts';
import { exitCodeFor } from './exit-codes.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'paddock-doctor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A directory holding one executable shell script per entry, for a PATH. */
function binDir(name: string, scripts: Record<string, string>): string {
  const bin = join(dir, name);
  mkdirSync(bin, { recursive: true });
  for (const [file, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, file), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, file), 0o755);
  }
  return bin;
}

describe('doctor probes', () => {
  it('node: 24 or newer passes, older fails pointing at setup.sh', () => {
    assert.equal(checkNodeVersion('24.0.0').status, CheckStatus.Ok);
    const old = checkNodeVersion('20.11.1');
    assert.equal(old.status, CheckStatus.Fail);
    assert.match(old.fix ?? '', /scripts\/setup\.sh/);
  });

  it('finds executables on PATH, skipping files that are not executable', () => {
    const bin = binDir('find', { tool: 'true' });
    writeFileSync(join(bin, 'plain'), 'not executable');
    assert.equal(findExecutable('tool', `/nonexistent:${bin}`), join(bin, 'tool'));
    assert.equal(findExecutable('plain', bin), undefined);
    assert.equal(findExecutable('tool', ''), undefined);
  });

  it('bubblewrap: missing fails with the install command; a bwrap that cannot start fails', () => {
    const missing = checkBwrap('');
    assert.equal(missing.status, CheckStatus.Fail);
    assert.equal(missing.fix, 'apt-get install bubblewrap');
    const broken = checkBwrap(
      binDir('broken', { bwrap: 'echo "setting up uid map: Permission denied" >&2; exit 1' }),
    );
    assert.equal(broken.status, CheckStatus.Fail);
    assert.match(broken.detail, /cannot start a sandbox: setting up uid map: Permission denied/);
  });

  it('bubblewrap: the real one starts a sandbox here', { skip: bwrapSkipReason() }, () => {
    const real = checkBwrap(process.env.PATH ?? '');
    assert.equal(real.status, CheckStatus.Ok, real.detail);
  });

  it('runsc and socat missing are warnings with their install commands', () => {
    assert.deepEqual(
      [checkRunsc(''), checkSocat('')].map((c) => [c.status, c.fix]),
      [
        [CheckStatus.Warn, 'apt-get install runsc'],
        [CheckStatus.Warn, 'apt-get install socat'],
      ],
    );
    const bin = binDir('found', { runsc: 'true', socat: 'true' });
    assert.equal(checkRunsc(bin).status, CheckStatus.Ok);
    assert.equal(checkSocat(bin).status, CheckStatus.Ok);
  });

  it('checkpoint: gVisor pauses to disk where runsc is; a failing criu check is said unusable', () => {
    const criu = 'echo "Unexpected rt vDSO area bounds" >&2; exit 1';
    const gvisor = checkCheckpoint(binDir('ckpt', { runsc: 'true', criu }));
    assert.equal(gvisor.status, CheckStatus.Ok);
    assert.match(
      gvisor.detail,
      /^gVisor sandboxes pause to disk; .*criu is unusable here: criu check says Unexpected rt vDSO area bounds/,
    );
    const none = checkCheckpoint('');
    assert.equal(none.status, CheckStatus.Warn);
    assert.match(none.detail, /^no sandbox pauses to disk/);
  });

  it('perl missing fails with its install command; found passes', () => {
    const missing = checkPerl('');
    assert.equal(missing.status, CheckStatus.Fail);
    assert.equal(missing.fix, 'apt-get install perl-base');
    assert.equal(checkPerl(binDir('perl', { perl: 'true' })).status, CheckStatus.Ok);
  });

  it('root: says whether paddock up runs its sandboxes as root or rootless', () => {
    const root = checkRoot(0);
    assert.equal(root.status, CheckStatus.Ok);
    assert.match(root.detail, /^running as root: each sandbox runs as a host uid of its own/);
    const user = checkRoot(1000);
    assert.equal(user.status, CheckStatus.Ok);
    assert.match(
      user.detail,
      /^rootless \(uid 1000\): sandboxes run as uid 1000 .*without \/dev\/pts/,
    );
  });

  it('user namespaces: disabled fails; unprivileged restrictions fail only for non-root', () => {
    const files = (entries: Record<string, string>) => (path: string) => entries[path];
    const disabled = files({ '/proc/sys/user/max_user_namespaces': '0\n' });
    assert.equal(checkUserNamespaces(disabled, 0).status, CheckStatus.Fail);
    const restricted = files({
      '/proc/sys/user/max_user_namespaces': '15000\n',
      '/proc/sys/kernel/unprivileged_userns_clone': '0\n',
    });
    assert.equal(checkUserNamespaces(restricted, 0).status, CheckStatus.Ok);
    assert.equal(checkUserNamespaces(restricted, 1000).status, CheckStatus.Fail);
    const apparmor = files({ '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1' });
    assert.equal(checkUserNamespaces(apparmor, 1000).status, CheckStatus.Fail);
    const open = checkUserNamespaces(
      files({ '/proc/sys/user/max_user_namespaces': '63000' }),
      1000,
    );
    assert.deepEqual(
      [open.status, open.detail],
      [CheckStatus.Ok, 'user namespaces enabled (max 63000)'],
    );
  });

  describe('cgroups', () => {
    const v2Mount = '30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate';
    const v1Mounts = [
      '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
      '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
      '39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids',
      '41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
    ];
    const controllers = (dir: string, words: string) => (path: string) =>
      path === join(dir, 'cgroup.controllers') ? words : undefined;

    it('v2 with memory, cpu and pids delegated: all limits apply', () => {
      const result = checkCgroups(
        { mountinfo: v2Mount, procCgroup: '0::/system.slice/paddock.service\n', uid: 0 },
        controllers('/sys/fs/cgroup/system.slice/paddock.service', 'cpuset cpu io memory pids'),
      );
      assert.equal(result.status, CheckStatus.Ok);
      assert.match(
        result.detail,
        /^cgroup v2 \(\/sys\/fs\/cgroup\/system\.slice\/paddock\.service\): memory, cpu and pids/,
      );
    });

    it('v2 as a user: applies only where the subtree is delegated (its files writable)', () => {
      const dir =
        '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/paddock.scope';
      const input = { mountinfo: v2Mount, procCgroup: `0::${dir.slice(14)}\n`, uid: 1000 };
      const read = controllers(dir, 'cpu memory pids');
      const delegated = checkCgroups(input, read, (path) => path.startsWith(`${dir}/`));
      assert.equal(delegated.status, CheckStatus.Ok, delegated.detail);
      assert.match(delegated.detail, /^cgroup v2 .*paddock\.scope\): memory, cpu and pids/);
      const notDelegated = checkCgroups(input, read, () => false);
      assert.equal(notDelegated.status, CheckStatus.Warn);
      assert.match(
        notDelegated.detail,
        /is not delegated to uid 1000: limits fall back to rlimits/,
      );
      assert.match(notDelegated.fix ?? '', /Delegate=yes/);
    });

    it('v2 without delegation and no v1: warns that rlimits apply', () => {
      const result = checkCgroups(
        { mountinfo: v2Mount, procCgroup: '0::/user.slice\n', uid: 1000 },
        controllers('/sys/fs/cgroup/user.slice', 'memory pids'),
      );
      assert.equal(result.status, CheckStatus.Warn);
      assert.match(result.detail, /fall back to rlimits/);
    });

    it('v1 hierarchies mounted: apply as root, not otherwise; missing ones are named', () => {
      const procCgroup = '4:memory:/\n1:cpu,cpuacct:/\n8:pids:/\n0::/\n';
      const asRoot = checkCgroups({ mountinfo: v1Mounts.join('\n'), procCgroup, uid: 0 }, () => '');
      assert.equal(asRoot.status, CheckStatus.Ok, asRoot.detail);
      assert.match(asRoot.detail, /^cgroup v1/);
      const asUser = checkCgroups(
        { mountinfo: v1Mounts.join('\n'), procCgroup, uid: 1000 },
        () => '',
      );
      assert.equal(asUser.status, CheckStatus.Warn);
      const noPids = checkCgroups(
        { mountinfo: v1Mounts.filter((m) => !m.endsWith('pids')).join('\n'), procCgroup, uid: 0 },
        () => '',
      );
      assert.equal(noPids.status, CheckStatus.Warn);
      assert.match(noPids.detail, /memory, cpu limits apply; pids fall back to rlimits/);
    });
  });

  describe('data directory', () => {
    it('an existing writable directory, and one that would be created, pass with free space', () => {
      const existing = checkDataDir(dir);
      assert.equal(existing.status === CheckStatus.Fail, false, existing.detail);
      assert.match(existing.detail, /writable, [\d.]+ \w+ free$/);
      assert.match(checkDataDir(join(dir, 'not', 'yet')).detail, /will be created/);
    });

    it('a file in its place fails', () => {
      writeFileSync(join(dir, 'a-file'), '');
      const result = checkDataDir(join(dir, 'a-file'));
      assert.equal(result.status, CheckStatus.Fail);
      assert.match(result.detail, /is not a directory/);
    });

    it('an unwritable directory fails with the fix', {
      skip: process.getuid?.() === 0 && 'root may write anywhere',
    }, () => {
      const locked = join(dir, 'locked');
      mkdirSync(locked, { mode: 0o500 });
      const result = checkDataDir(join(locked, 'home'));
      assert.equal(result.status, CheckStatus.Fail);
      assert.match(result.fix ?? '', /--home/);
    });
  });

  it('server: an unreachable server is a warning naming its URL', async () => {
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const address = listener.address();
    assert.ok(address !== null && typeof address === 'object');
    await new Promise((resolve) => listener.close(resolve));
    const url = `http://127.0.0.1:${address.port}`;
    const result = await checkServer(createClient({ baseUrl: url }));
    assert.equal(result.status, CheckStatus.Warn);
    assert.match(result.detail, new RegExp(`127\\.0\\.0\\.1:${address.port}.* is not reachable`));
  });

  it('prints ok/warn/FAIL words without colour, symbols with it, and a fix under each problem', () => {
    const checks: DoctorCheck[] = [
      { name: 'node', status: 'ok', detail: 'v24.1.0' },
      {
        name: 'bubblewrap',
        status: 'fail',
        detail: 'bwrap not found',
        fix: 'apt-get install bubblewrap',
      },
    ];
    assert.equal(
      formatChecks(checks, { isFancy: false }),
      'ok   node        v24.1.0\nFAIL bubblewrap  bwrap not found\n                 fix: apt-get install bubblewrap\n',
    );
    const fancy = formatChecks(checks, { isFancy: true });
    assert.match(fancy, /✓.* node {8}v24\.1\.0\n/);
    assert.match(fancy, /✗.* bubblewrap {2}bwrap not found\n/);
    assert.equal(hasFailure(checks), true);
    assert.equal(hasFailure(checks.slice(0, 1)), false);
  });
});

describe('paddock doctor', { skip: bwrapSkipReason(), timeout: 60_000 }, () => {
  const doctor = (args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [main, 'doctor', ...args], { env }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  const env = { ...process.env, NO_COLOR: '1', PADDOCK_CONFIG: join(dir, 'config.yaml') };

  it('prints every check as JSON and exits 0 with a real server up', async () => {
    const server = await startPaddockProcess([
      main,
      'up',
      '--addr',
      '127.0.0.1:0',
      '--home',
      join(dir, 'srv'),
    ]);
    try {
      const result = await doctor(
        ['--server', server.url, '--home', join(dir, 'srv'), '-o', 'json'],
        env,
      );
      const checks = JSON.parse(result.stdout) as DoctorCheck[];
      assert.deepEqual(
        checks.map((c) => c.name),
        [
          'node',
          'bubblewrap',
          'runsc',
          'checkpoint',
          'socat',
          'perl',
          'root',
          'cgroups',
          'userns',
          'data dir',
          'server',
        ],
      );
      assert.equal(checks.find((c) => c.name === 'server')?.status, CheckStatus.Ok);
      assert.equal(
        result.code,
        hasFailure(checks) ? exitCodeFor('runtime_unavailable') : 0,
        result.stdout,
      );
    } finally {
      await server.stop();
    }
  });

  it('exits 7 with a FAIL row and its fix when bwrap is missing', async () => {
    const result = await doctor(['--home', join(dir, 'srv2')], {
      ...env,
      PATH: binDir('empty', {}),
    });
    assert.equal(result.code, exitCodeFor('runtime_unavailable'), result.stderr);
    assert.match(
      result.stdout,
      /^FAIL bubblewrap +bwrap not found on PATH\n +fix: apt-get install bubblewrap$/m,
    );
    assert.match(result.stdout, /^warn server /m);
  });
});
