import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPaddockError, type ProcessHandle, type SandboxRef } from '@paddock/core';
import { gvisorPaths } from './gvisor.ts';
import { findExecutable } from './host-binaries.ts';
import { SandboxDirs } from './sandbox-state.ts';
import { createTestWorld, readText, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const gvisorSkip =
  skipReason ??
  (findExecutable('runsc') === undefined ? 'runsc (gVisor) is not installed' : undefined);

/** Counts in a shell variable (memory only), one line per step: `<pid> <n>`. */
const COUNTER = 'i=0; while :; do i=$((i + 1)); echo "$$ $i"; sleep 0.05; done';

function outputOf(world: TestWorld, ref: SandboxRef, id: string): string[] {
  const file = join(new SandboxDirs(world.root, ref).procs, id, 'stdout');
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

async function linesBeyond(world: TestWorld, ref: SandboxRef, id: string, count: number) {
  for (let i = 0; i < 400; i += 1) {
    const lines = outputOf(world, ref, id);
    if (lines.length > count) return lines;
    await sleep(25);
  }
  throw new Error(`${id} wrote no more than ${count} lines`);
}

describe('gVisor checkpoint to disk', { skip: gvisorSkip }, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world.cleanup();
  });

  it('keeps a process and its memory across pause, a new runtime and resume', async () => {
    const ref = await world.provision({ isolation: 'gvisor' });
    const dirs = new SandboxDirs(world.root, ref);
    const counter = await world.runtime.exec(ref, {
      command: ['sh', '-c', COUNTER],
      background: true,
      processId: 'counter',
    });
    await counter.stdout.cancel();
    await linesBeyond(world, ref, 'counter', 3);

    const paused = await world.runtime.pause?.(ref);
    assert.equal(paused?.mechanism, 'checkpoint');
    assert.equal(paused?.state, 'paused');
    assert.ok(existsSync(join(gvisorPaths(dirs.dir).image, 'checkpoint.img')), 'the image');
    const atPause = outputOf(world, ref, 'counter');
    await assert.rejects(sh(world.runtime, ref, 'true'), (e) =>
      isPaddockError(e, 'sandbox_paused'),
    );

    // Paddock restarts (a new runtime on the same root); a host restart takes the cgroups too.
    const state = JSON.parse(readFileSync(dirs.state, 'utf8')) as { limits: { cgroups: string[] } };
    for (const dir of state.limits.cgroups) rmdirSync(dir);
    const restarted = world.reopen();
    assert.equal((await restarted.observe(ref)).state, 'paused');
    const listed = await restarted.listProcesses(ref);
    assert.deepEqual(
      listed.map((p) => [p.id, p.running]),
      [['counter', true]],
      'held by the image, it still runs',
    );
    assert.deepEqual(outputOf(world, ref, 'counter'), atPause, 'nothing ran while on disk');

    const resumed = await restarted.resume?.(ref);
    assert.equal(resumed?.state, 'running');
    assert.ok(!existsSync(gvisorPaths(dirs.dir).image), 'the image is removed once restored');
    const lines = await linesBeyond(world, ref, 'counter', atPause.length + 3);
    const steps = lines.map((line) => line.split(' '));
    const pids = new Set(steps.map(([pid]) => pid));
    assert.equal(pids.size, 1, `one process all along: ${[...pids].join(', ')}`);
    steps.forEach(([, n], i) => {
      assert.equal(Number(n), i + 1, 'the count goes on from memory, never from 1');
    });
    assert.equal((await sh(restarted, ref, 'echo ok')).stdout, 'ok\n');

    // Followed anew after the restore: its end is read back as the signal that ended it.
    const handle: ProcessHandle = await restarted.attach(ref, 'counter');
    await handle.stdout.cancel();
    await handle.stderr.cancel();
    await handle.signal('SIGTERM');
    assert.deepEqual(await handle.exit, { exitCode: null, signal: 'SIGTERM', timedOut: false });
  });

  it("counts a held process's timeout in running time only: a pause neither restarts nor spends it", async () => {
    const ref = await world.provision({ isolation: 'gvisor' });
    const dirs = new SandboxDirs(world.root, ref);
    const timed = await world.runtime.exec(ref, {
      command: ['sh', '-c', COUNTER],
      background: true,
      processId: 'timed',
      timeoutMs: 3000,
    });
    await timed.stdout.cancel();
    await linesBeyond(world, ref, 'timed', 10);
    assert.equal((await world.runtime.pause?.(ref))?.mechanism, 'checkpoint');
    const held = JSON.parse(readFileSync(join(dirs.procs, 'timed', 'held.json'), 'utf8')) as {
      timeoutLeftMs: number;
    };
    // It ran at least 10 steps of 50 ms before the image took it.
    assert.ok(held.timeoutLeftMs <= 2500, `left ${held.timeoutLeftMs} ms`);
    // Time on disk is not counted: past its whole timeout, it still runs after the resume.
    await sleep(3200);
    await world.runtime.resume?.(ref);
    const [running] = await world.runtime.listProcesses(ref);
    assert.equal(running?.running, true);
    const launch = readFileSync(join(dirs.procs, 'timed', 'launch.nul'), 'utf8');
    assert.equal(Number(launch.slice(0, launch.indexOf('\0'))), Math.max(1, held.timeoutLeftMs));
    const handle = await world.runtime.attach(ref, 'timed');
    await handle.stdout.cancel();
    await handle.stderr.cancel();
    assert.equal((await handle.exit).timedOut, true, 'then what was left of it runs out');
    await world.runtime.destroy(ref);
  });

  it('removes the image when a paused sandbox is stopped or deleted', async () => {
    const ref = await world.provision({ isolation: 'gvisor' });
    const dirs = new SandboxDirs(world.root, ref);
    const image = join(gvisorPaths(dirs.dir).image, 'checkpoint.img');
    const sleeper = await world.runtime.exec(ref, {
      command: ['sleep', '1000'],
      background: true,
      processId: 'sleeper',
    });
    await sleeper.stdout.cancel();
    assert.equal((await world.runtime.pause?.(ref))?.mechanism, 'checkpoint');
    assert.ok(existsSync(image));

    assert.equal((await world.runtime.stop(ref)).state, 'stopped');
    assert.ok(!existsSync(image), 'a stop drops the image');
    const [ended] = await world.runtime.listProcesses(ref);
    assert.equal(ended?.running, false);
    assert.equal(ended?.exit?.signal, 'SIGKILL');

    await world.runtime.start(ref);
    assert.equal((await world.runtime.pause?.(ref))?.mechanism, 'checkpoint');
    await world.runtime.destroy(ref);
    assert.ok(!existsSync(dirs.dir), 'a delete takes the image with the sandbox');
    assert.deepEqual(await world.runtime.observe(ref), { state: 'absent' });
  });

  it('lets the sandbox write its background output and nothing else of procs/', async () => {
    const ref = await world.provision({ isolation: 'gvisor' });
    const held = await world.runtime.exec(ref, {
      command: ['sh', '-c', 'echo out; echo err >&2; sleep 1000'],
      background: true,
      processId: 'p',
    });
    await held.stdout.cancel();
    await linesBeyond(world, ref, 'p', 0);
    const tries = [
      'cat /run/paddock-procs/p/launch.nul',
      'echo x > /run/paddock-procs/p/exit.json',
      'echo x > /run/paddock-procs/p/meta.json',
      'touch /run/paddock-procs/p/new',
      'touch /run/paddock-procs/new',
      'rm -f /run/paddock-procs/p/stdout',
      'ln -s /etc/shadow /run/paddock-procs/p/link',
      'mv /run/paddock-procs/p /run/paddock-procs/q',
    ];
    for (const attempt of tries) {
      const result = await sh(world.runtime, ref, attempt);
      assert.notEqual(result.exitCode, 0, `${attempt} is refused`);
    }
    const dirs = new SandboxDirs(world.root, ref);
    assert.deepEqual(outputOf(world, ref, 'p'), ['out']);
    assert.equal(readFileSync(join(dirs.procs, 'p', 'stderr'), 'utf8'), 'err\n');
    await world.runtime.destroy(ref);
  });

  it('keeps runsc pause while an exec runs (runsc cannot restore its pipes)', async () => {
    const ref = await world.provision({ isolation: 'gvisor' });
    const waits = 'until [ -e /tmp/go ]; do sleep 0.05; done; echo done';
    const exec = await world.runtime.exec(ref, { command: ['sh', '-c', waits] });
    assert.equal((await world.runtime.pause?.(ref))?.mechanism, 'runsc-pause');
    await world.runtime.resume?.(ref);
    await sh(world.runtime, ref, 'touch /tmp/go');
    assert.equal(await readText(exec.stdout), 'done\n');
    assert.equal((await exec.exit).exitCode, 0);
    await world.runtime.destroy(ref);
  });

  it("pauses in memory while a process holds an ended exec's output, and resumes it", async () => {
    const ref = await world.provision({ isolation: 'gvisor' });
    const exec = await world.runtime.exec(ref, { command: ['sh', '-c', 'sleep 1000 & echo x'] });
    assert.equal((await exec.exit).exitCode, 0);
    void exec.stdout.cancel().catch(() => {});
    void exec.stderr.cancel().catch(() => {});
    // A background process and what it leaves behind are no reason to stay in memory.
    const held = await world.runtime.exec(ref, {
      command: ['sh', '-c', 'sleep 2000 & sleep 3000'],
      background: true,
      processId: 'held',
    });
    await held.stdout.cancel();
    // runsc cannot restore the exec's pipes that `sleep 1000` holds: runsc pause, not the disk.
    assert.equal((await world.runtime.pause?.(ref))?.mechanism, 'runsc-pause');
    assert.equal((await world.runtime.resume?.(ref))?.state, 'running');
    assert.equal((await sh(world.runtime, ref, 'echo ok')).stdout, 'ok\n');
    // Once it is gone, the pause goes to disk again.
    assert.equal((await sh(world.runtime, ref, 'pkill -f "^sleep 1000$"')).exitCode, 0);
    assert.equal((await world.runtime.pause?.(ref))?.mechanism, 'checkpoint');
    assert.equal((await world.runtime.resume?.(ref))?.state, 'running');
    assert.deepEqual(
      (await world.runtime.listProcesses(ref)).map((p) => [p.id, p.running]),
      [['held', true]],
    );
    await world.runtime.destroy(ref);
  });

  it('pauses a sandbox on the host network with runsc pause (runsc cannot save its sockets)', async () => {
    const ref = await world.provision({ isolation: 'gvisor', network: { egress: 'open' } });
    assert.equal((await world.runtime.pause?.(ref))?.mechanism, 'runsc-pause');
    await world.runtime.resume?.(ref);
    assert.equal((await sh(world.runtime, ref, 'echo ok')).stdout, 'ok\n');
    await world.runtime.destroy(ref);
  });
});
