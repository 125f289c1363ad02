// What holds only for a rootless runtime (Paddock not root). As root this file is skipped and
// runtime-contract-rootless.test.ts runs it as an unprivileged user.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SandboxDirs } from './sandbox-state.ts';
import {
  createTestWorld,
  FORK_FLOOD,
  rootlessSkipReason,
  sh,
  type TestWorld,
} from './test-sandboxes.ts';

describe('rootless runtime', { skip: rootlessSkipReason ?? false }, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('says it is rootless and which limits mechanism applied', async () => {
    const ref = await world.provision();
    const observed = await world.runtime.observe(ref);
    assert.equal(world.runtime.isRootless, true);
    assert.equal(observed.rootless, true);
    assert.equal(observed.limits, world.runtime.limitsMechanism);
    // Unprivileged, only a delegated cgroup v2 subtree gives cgroups; v1 is root's.
    assert.notEqual(observed.limits, 'cgroup-v1');
  });

  it('renames a running sandbox host (a claimed warm sandbox) without root', async () => {
    const ref = await world.provision();
    await world.runtime.setHostname(ref, 'claimed-name');
    const inside = await sh(world.runtime, ref, 'hostname; cat /etc/hostname');
    assert.equal(inside.stdout, 'claimed-name\nclaimed-name\n');
  });

  it("runs the sandbox user as Paddock's own uid, which owns the sandbox's files", async () => {
    const ref = await world.provision();
    const inside = await sh(world.runtime, ref, 'id -u; touch /workspace/made-inside');
    assert.equal(inside.stdout, '1000\n');
    const dirs = new SandboxDirs(world.root, ref);
    assert.equal(statSync(join(dirs.workspace, 'made-inside')).uid, process.getuid?.());
    assert.equal(statSync(dirs.dir).uid, process.getuid?.());
  });

  it("cannot read the host user's files outside its view", async () => {
    const secretDir = join(homedir(), '.paddock-rootless-secret');
    mkdirSync(secretDir, { recursive: true, mode: 0o700 });
    const secret = join(secretDir, 'token');
    writeFileSync(secret, 'host secret\n', { mode: 0o600 });
    const ref = await world.provision();
    const tries = [
      `cat ${secret}`,
      `ls ${homedir()}`,
      `ls ${world.dataDir}`,
      `cat /proc/1/root${secret}`,
      'ls /proc/1/root/etc/shadow',
    ];
    for (const command of tries) {
      const result = await sh(world.runtime, ref, command);
      assert.notEqual(result.exitCode, 0, `${command}: ${result.stdout}`);
      assert.doesNotMatch(result.stdout, /host secret/);
    }
  });

  it('has the basic devices and no /dev/pts', async () => {
    const ref = await world.provision();
    const devices = await sh(
      world.runtime,
      ref,
      'for d in null zero full random urandom; do test -c /dev/$d || echo "no $d"; done; ' +
        'test -e /dev/pts && echo pts; test -e /dev/ptmx && echo ptmx; ' +
        'echo hi > /dev/null && head -c 4 /dev/zero | wc -c',
    );
    assert.equal(devices.stdout, '4\n');
  });

  it('refuses new user namespaces inside (the seccomp filter stands in for --disable-userns)', async () => {
    const ref = await world.provision();
    const nested = await sh(world.runtime, ref, 'unshare --user true; echo $?');
    assert.notEqual(nested.stdout.trim(), '0', nested.stderr);
  });

  it("holds each sandbox's pids limit, however many processes Paddock's uid runs", async () => {
    // Processes of our uid outside the sandbox: an rlimit counted per host uid would fail here.
    const sleepers = Array.from({ length: 40 }, () => spawn('sleep', ['60'], { stdio: 'ignore' }));
    try {
      const ref = await world.provision({ resources: { pids: 32 } });
      const limits = (await sh(world.runtime, ref, 'cat /proc/self/limits')).stdout;
      if (world.runtime.limitsMechanism === 'rlimit') {
        assert.match(limits, /^Max processes\s+32\s+32\s/m);
      }
      assert.equal((await sh(world.runtime, ref, 'echo alive')).stdout, 'alive\n');
      const flood = await sh(world.runtime, ref, FORK_FLOOD, { timeoutMs: 30_000 });
      assert.match(flood.stderr, /fork|Resource temporarily unavailable/i);
      assert.equal((await sh(world.runtime, ref, 'echo alive')).stdout, 'alive\n');
    } finally {
      for (const sleeper of sleepers) sleeper.kill('SIGKILL');
    }
  });
});
