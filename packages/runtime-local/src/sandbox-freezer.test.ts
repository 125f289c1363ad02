import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readPause } from './sandbox-freezer.ts';
import { SandboxDirs } from './sandbox-state.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

/** The host pid of the one process whose command line holds `marker`. */
function pidOf(marker: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (command.startsWith('sh -c') && command.includes(marker)) return Number(name);
    } catch {}
  }
  return undefined;
}

/** utime + stime of `pid`, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await sleep(10);
}

describe('pausing a local sandbox', { skip: skipReason }, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('freezes a busy loop: its cpu time stands still while paused and moves again after resume', async () => {
    const ref = await world.provision();
    const marker = `busy-${randomBytes(4).toString('hex')}`;
    const handle = await world.runtime.exec(ref, {
      command: ['sh', '-c', `: ${marker}; while :; do :; done`],
      background: true,
      processId: 'busy',
    });
    await handle.stdout.cancel();
    await handle.stderr.cancel();
    let pid: number | undefined;
    await eventually(() => {
      pid = pidOf(marker);
      return pid !== undefined;
    });
    const busy = pid ?? 0;
    const started = cpuTicks(busy);
    await eventually(() => cpuTicks(busy) > started);

    const paused = await world.runtime.pause(ref);
    const expected =
      world.runtime.limitsMechanism === 'cgroup-v2' ? 'cgroup-v2-freezer' : 'cgroup-v1-freezer';
    assert.equal(paused.mechanism, expected, 'as root with cgroups, a cgroup freezer');
    const frozen = cpuTicks(busy);
    await sleep(300); // three times the tick of the cpu clock: a running loop would use them
    assert.equal(cpuTicks(busy), frozen, 'no cpu time while paused');

    await world.runtime.resume(ref);
    await eventually(() => cpuTicks(busy) > frozen);
    assert.equal(pidOf(marker), busy, 'the same process, not a new one');
  });

  it('a restarted runtime sees it paused and resumes it; destroy leaves no freezer cgroup', async () => {
    const ref = await world.provision();
    await sh(world.runtime, ref, 'echo kept > /tmp/state');
    await world.runtime.pause(ref);
    const dirs = new SandboxDirs(world.root, ref);
    const record = readPause(dirs);
    assert.ok(record, 'the pause is recorded beside the state');

    const restarted = world.reopen();
    assert.equal((await restarted.observe(ref)).state, 'paused');
    await assert.rejects(sh(restarted, ref, 'true'), { code: 'sandbox_paused' });
    assert.equal((await restarted.resume(ref)).state, 'running');
    assert.equal((await sh(restarted, ref, 'cat /tmp/state')).stdout, 'kept\n', '/tmp survived');

    await restarted.pause(ref);
    await restarted.destroy(ref);
    if (record.cgroup !== undefined && record.mechanism === 'cgroup-v1-freezer') {
      assert.equal(existsSync(record.cgroup), false, `${record.cgroup} removed`);
    }
  });
});
