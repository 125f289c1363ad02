import assert from 'node:assert/strict';
import { ErrorCode, RuntimeState, type SandboxRef, type SandboxRuntime } from '@paddock/core';
import type { RuntimeGroup } from './runtime-contract.ts';
import { decode, encode, killed, startBackground } from './runtime-fixtures.ts';
import { assertRejectsWith } from './store-fixtures.ts';

const sameSandbox = (a: SandboxRef) => (b: SandboxRef) =>
  a.namespace === b.namespace && a.name === b.name;

/** Every call that needs the sandbox to exist (and, for most, to run). */
function callsOn(
  runtime: SandboxRuntime,
  ref: SandboxRef,
): Array<[string, () => Promise<unknown>]> {
  return [
    ['exec', () => runtime.exec(ref, { command: ['true'] })],
    ['files.read', () => runtime.files.read(ref, '/workspace/kept.txt')],
    ['files.write', () => runtime.files.write(ref, '/workspace/new.txt', encode('x'))],
    ['files.list', () => runtime.files.list(ref, '/workspace')],
    ['files.stat', () => runtime.files.stat(ref, '/workspace/kept.txt')],
    ['files.download', () => runtime.files.download(ref, '/workspace/kept.txt')],
    ['connectPort', () => runtime.connectPort(ref, 8080)],
  ];
}

/** Provision, observe, stop, start, destroy and re-adoption. */
export function lifecycleCases(group: RuntimeGroup): void {
  group('lifecycle', {}, (test) => {
    test('provision is idempotent and guards the uid', async ({ runtime, spec, fresh }) => {
      const ref = await fresh();
      const first = await runtime.observe(ref);
      assert.equal(first.state, RuntimeState.Running);
      assert.ok(first.startedAt && !Number.isNaN(Date.parse(first.startedAt)), first.startedAt);
      const again = await runtime.provision({ ...ref, spec });
      assert.equal(again.state, RuntimeState.Running);
      assert.equal(again.startedAt, first.startedAt, 'the running sandbox was left as it is');
      assert.deepEqual((await runtime.list()).filter(sameSandbox(ref)), [ref]);

      const other = { ...ref, uid: `${ref.uid}-other` };
      await assertRejectsWith(runtime.provision({ ...other, spec }), ErrorCode.Conflict);
      assert.deepEqual(await runtime.observe(other), { state: RuntimeState.Absent });
      await assertRejectsWith(runtime.stop(other), ErrorCode.SandboxNotFound);
      await assertRejectsWith(runtime.files.read(other, '/workspace'), ErrorCode.SandboxNotFound);
      await runtime.destroy(other);
      assert.equal((await runtime.observe(ref)).state, RuntimeState.Running, 'still there');
    });

    test('stop and start keep the workspace; both are idempotent', async ({ runtime, fresh }) => {
      const ref = await fresh();
      await runtime.files.write(ref, '/workspace/kept.txt', encode('kept'));
      await runtime.files.write(ref, '/tmp/scratch.txt', encode('scratch'));
      assert.equal((await runtime.stop(ref)).state, RuntimeState.Stopped);
      assert.equal((await runtime.observe(ref)).state, RuntimeState.Stopped);
      assert.equal((await runtime.stop(ref)).state, RuntimeState.Stopped, 'stop is idempotent');
      // The one rule for a stopped sandbox: nothing runs, nothing is served until start.
      for (const [name, call] of callsOn(runtime, ref)) {
        await assertRejectsWith(call(), ErrorCode.InvalidTransition, (error) =>
          assert.ok(error.message.length > 0, name),
        );
      }

      const started = await runtime.start(ref);
      assert.equal(started.state, RuntimeState.Running);
      assert.ok(started.startedAt && !Number.isNaN(Date.parse(started.startedAt)));
      assert.equal((await runtime.start(ref)).startedAt, started.startedAt, 'start is idempotent');
      assert.equal((await runtime.observe(ref)).state, RuntimeState.Running);
      assert.equal(decode(await runtime.files.read(ref, '/workspace/kept.txt')), 'kept');
      await assertRejectsWith(runtime.files.read(ref, '/tmp/scratch.txt'), ErrorCode.NotFound);
    });

    test('a sandbox that does not exist is absent, destroyed as a no-op, and sandbox_not_found to the rest', async ({
      runtime,
      unknown,
    }) => {
      const ref = unknown();
      assert.deepEqual(await runtime.observe(ref), { state: RuntimeState.Absent });
      await runtime.destroy(ref);
      assert.ok(!(await runtime.list()).some(sameSandbox(ref)));
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['stop', () => runtime.stop(ref)],
        ['start', () => runtime.start(ref)],
        ['listProcesses', () => runtime.listProcesses(ref)],
        ['attach', () => runtime.attach(ref, 'main')],
        ...callsOn(runtime, ref),
      ];
      for (const [name, call] of calls) {
        await assertRejectsWith(call(), ErrorCode.SandboxNotFound, (error) =>
          assert.ok(error.message.length > 0, name),
        );
      }
    });

    test('a restarted runtime re-adopts its sandboxes and their background processes', async ({
      subject,
      runtime,
      spec,
      fresh,
    }) => {
      const ref = await fresh();
      const first = await startBackground(runtime, ref, {
        command: ['sleep', '600'],
        processId: 'keeper',
      });
      const before = await runtime.observe(ref);

      const restarted = subject.restart();
      assert.deepEqual((await restarted.list()).filter(sameSandbox(ref)), [ref]);
      const observed = await restarted.observe(ref);
      assert.equal(observed.state, RuntimeState.Running);
      assert.equal(observed.startedAt, before.startedAt);
      const adopted = await restarted.provision({ ...ref, spec });
      assert.equal(adopted.startedAt, before.startedAt, 'no second sandbox was started');
      const [keeper] = (await restarted.listProcesses(ref)).filter((p) => p.id === 'keeper');
      assert.equal(keeper?.running, true);
      assert.deepEqual(keeper?.command, ['sleep', '600']);

      const attached = await restarted.attach(ref, 'keeper');
      await attached.signal('SIGKILL');
      assert.deepEqual(await attached.exit, killed('SIGKILL'));
      assert.deepEqual(await first.exit, killed('SIGKILL'), 'the first handle sees the end too');
      const [ended] = (await restarted.listProcesses(ref)).filter((p) => p.id === 'keeper');
      assert.equal(ended?.running, false);
      assert.deepEqual(ended?.exit, killed('SIGKILL'));
    });

    test('destroy removes the sandbox and leaves nothing behind', async ({
      subject,
      runtime,
      spec,
      fresh,
    }) => {
      const ref = await fresh();
      await runtime.files.write(ref, '/workspace/old.txt', encode('old'));
      await startBackground(runtime, ref, { command: ['sleep', '600'], processId: 'keeper' });
      assert.ok((await subject.traces(ref)).length > 0, 'the probe sees a live sandbox');

      await runtime.destroy(ref);
      assert.deepEqual(await runtime.observe(ref), { state: RuntimeState.Absent });
      assert.ok(!(await runtime.list()).some(sameSandbox(ref)));
      assert.deepEqual(await subject.traces(ref), []);
      await runtime.destroy(ref);

      const reborn = { ...ref, uid: `${ref.uid}-2` };
      assert.equal((await runtime.provision({ ...reborn, spec })).state, RuntimeState.Running);
      try {
        await assertRejectsWith(
          runtime.files.read(reborn, '/workspace/old.txt'),
          ErrorCode.NotFound,
        );
        assert.deepEqual(await runtime.listProcesses(reborn), []);
      } finally {
        await runtime.destroy(reborn);
      }
      assert.deepEqual(await subject.traces(reborn), []);
    });
  });
}
