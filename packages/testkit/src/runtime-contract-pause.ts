import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ErrorCode,
  PauseMechanism,
  RuntimeState,
  type SandboxRef,
  type SandboxRuntime,
} from '@paddock/core';
import type { RuntimeGroup } from './runtime-contract.ts';
import { decode, encode, shell, startBackground } from './runtime-fixtures.ts';
import { assertRejectsWith } from './store-fixtures.ts';

/** The runtime's optional pause and resume, asserted present (the group is skipped without them). */
function pausing(runtime: SandboxRuntime) {
  const { pause, resume } = runtime;
  assert.ok(pause && resume, `runtime ${runtime.name} has no pause/resume: skip this group`);
  return {
    pause: (ref: SandboxRef) => pause.call(runtime, ref),
    resume: (ref: SandboxRef) => resume.call(runtime, ref),
  };
}

/** A line per step, `<n> <epoch ns>`: `n` lives in the shell's memory, so a restart would show. */
const COUNTER =
  'i=0; while :; do i=$((i+1)); echo "$i $(date +%s%N)" >> /tmp/counter; sleep 0.02; done';

/** Pause and resume: processes frozen in place, every other call refused until resume. */
export function pauseCases(group: RuntimeGroup): void {
  group('pause and resume', {}, (test) => {
    test('pause refuses exec, files and ports with sandbox_paused until resume; both are idempotent', async ({
      runtime,
      fresh,
    }) => {
      const { pause, resume } = pausing(runtime);
      const ref = await fresh();
      await runtime.files.write(ref, '/workspace/kept.txt', encode('kept'));
      const paused = await pause(ref);
      assert.equal(paused.state, RuntimeState.Paused);
      assert.ok(Object.values(PauseMechanism).includes(paused.mechanism), paused.mechanism);
      assert.equal((await runtime.observe(ref)).state, RuntimeState.Paused);
      const again = await pause(ref);
      assert.equal(again.mechanism, paused.mechanism, 'pause is idempotent');
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['exec', () => runtime.exec(ref, { command: ['true'] })],
        ['files.read', () => runtime.files.read(ref, '/workspace/kept.txt')],
        ['files.write', () => runtime.files.write(ref, '/workspace/x.txt', encode('x'))],
        ['files.list', () => runtime.files.list(ref, '/workspace')],
        ['connectPort', () => runtime.connectPort(ref, 8080)],
      ];
      for (const [name, call] of calls) {
        await assertRejectsWith(call(), ErrorCode.SandboxPaused, (error) =>
          assert.match(error.message, /paused/, name),
        );
      }
      const resumed = await resume(ref);
      assert.equal(resumed.state, RuntimeState.Running);
      assert.equal(resumed.startedAt, paused.startedAt, 'a resume is no restart');
      assert.equal((await resume(ref)).state, RuntimeState.Running, 'resume is idempotent');
      assert.equal(decode(await runtime.files.read(ref, '/workspace/kept.txt')), 'kept');
    });

    test('a stopped sandbox cannot pause; a paused one stops, starts and is destroyed', async ({
      subject,
      runtime,
      fresh,
    }) => {
      const { pause } = pausing(runtime);
      const ref = await fresh();
      await runtime.stop(ref);
      await assertRejectsWith(pause(ref), ErrorCode.InvalidTransition);
      await runtime.start(ref);
      const keeper = await startBackground(runtime, ref, {
        command: ['sleep', '600'],
        processId: 'keeper',
      });
      await pause(ref);
      assert.equal((await runtime.stop(ref)).state, RuntimeState.Stopped);
      await keeper.exit;
      const [ended] = (await runtime.listProcesses(ref)).filter((p) => p.id === 'keeper');
      assert.equal(ended?.running, false, 'stop ends frozen processes too');
      assert.equal((await runtime.start(ref)).state, RuntimeState.Running);
      await runtime.files.write(ref, '/workspace/up.txt', encode('up'));
      assert.equal(decode(await runtime.files.read(ref, '/workspace/up.txt')), 'up');
      await pause(ref);
      await runtime.destroy(ref);
      assert.deepEqual(await runtime.observe(ref), { state: RuntimeState.Absent });
      assert.deepEqual(await subject.traces(ref), []);
    });

    test('paused processes make no progress and go on where they were after resume', async ({
      runtime,
      fresh,
    }) => {
      const { pause, resume } = pausing(runtime);
      const ref = await fresh();
      await startBackground(runtime, ref, { command: ['sh', '-c', COUNTER], processId: 'count' });
      const lines = async () =>
        (await shell(runtime, ref, 'cat /tmp/counter 2>/dev/null')).stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(' ').map(Number) as [number, number]);
      while ((await lines()).length < 3) await sleep(20);
      await pause(ref);
      const frozenFrom = BigInt(Date.now()) * 1_000_000n;
      await sleep(300); // a window in which a running loop would have written several lines
      const frozenUntil = BigInt(Date.now()) * 1_000_000n;
      await resume(ref);
      let after = await lines();
      while (!after.some(([, ns]) => BigInt(ns) > frozenUntil)) {
        await sleep(20);
        after = await lines();
      }
      const during = after.filter(([, ns]) => BigInt(ns) > frozenFrom && BigInt(ns) < frozenUntil);
      assert.deepEqual(during, [], 'nothing ran while paused');
      assert.deepEqual(
        after.map(([n]) => n),
        after.map((_, i) => i + 1),
        'the counter went on from where it was (its memory was kept), not from 1',
      );
      const [count] = (await runtime.listProcesses(ref)).filter((p) => p.id === 'count');
      assert.equal(count?.running, true);
    });
  });
}
