import assert from 'node:assert/strict';
import { ErrorCode } from '@paddock/core';
import type { RuntimeGroup } from './runtime-contract.ts';
import {
  collectText,
  encode,
  exited,
  killed,
  REOPEN_STDIO,
  readUntil,
  startBackground,
} from './runtime-fixtures.ts';
import { assertRejectsWith } from './store-fixtures.ts';

/** Background processes: listed, re-attached, signalled, timed out, ended by stop. */
export function processCases(group: RuntimeGroup): void {
  group('background processes', {}, (test) => {
    test('lists background processes and replays their output from the start on attach', async ({
      runtime,
      shared,
    }) => {
      const ref = await shared();
      const script =
        'echo out-1; echo err-1 >&2; while [ ! -e /tmp/go-job ]; do sleep 0.05; done; echo out-2; exit 4';
      const handle = await runtime.exec(ref, {
        command: ['sh', '-c', script],
        background: true,
        processId: 'job',
      });
      assert.equal(handle.id, 'job');
      const reader = handle.stdout.getReader();
      assert.match(await readUntil(reader, /out-1/), /out-1/);
      await reader.cancel();
      await handle.stderr.cancel();
      const [job] = (await runtime.listProcesses(ref)).filter((p) => p.id === 'job');
      assert.equal(job?.running, true);
      assert.deepEqual(job?.command, ['sh', '-c', script]);
      assert.ok(job && !Number.isNaN(Date.parse(job.startedAt)), job?.startedAt);
      assert.equal(job?.exit, undefined);

      const attached = await runtime.attach(ref, 'job');
      await runtime.files.write(ref, '/tmp/go-job', encode(''));
      const [stdout, stderr, exit] = await Promise.all([
        collectText(attached.stdout),
        collectText(attached.stderr),
        attached.exit,
      ]);
      assert.equal(stdout, 'out-1\nout-2\n');
      assert.equal(stderr, 'err-1\n');
      assert.deepEqual(exit, exited(4));
      const [ended] = (await runtime.listProcesses(ref)).filter((p) => p.id === 'job');
      assert.equal(ended?.running, false);
      assert.deepEqual(ended?.exit, exited(4));
      const again = await runtime.attach(ref, 'job');
      assert.equal(
        await collectText(again.stdout),
        'out-1\nout-2\n',
        'output outlives the process',
      );
      assert.deepEqual(await again.exit, exited(4));
    });

    test('a background process can reopen its output: /dev/stdout, /dev/stderr', async ({
      runtime,
      shared,
    }) => {
      const ref = await shared();
      const handle = await runtime.exec(ref, { command: REOPEN_STDIO, background: true });
      await handle.stdin.close().catch(() => {});
      const [stdout, stderr, exit] = await Promise.all([
        collectText(handle.stdout),
        collectText(handle.stderr),
        handle.exit,
      ]);
      assert.deepEqual(
        { stdout, stderr, exit },
        {
          stdout: 'out\nboth\nfd1\n',
          stderr: 'err\nboth\n',
          exit: exited(0),
        },
      );
    });

    test('a running process id is a conflict, an unknown one is not_found', async ({
      runtime,
      shared,
    }) => {
      const ref = await shared();
      const first = await startBackground(runtime, ref, {
        command: ['sleep', '600'],
        processId: 'dup',
      });
      await assertRejectsWith(
        runtime.exec(ref, { command: ['true'], background: true, processId: 'dup' }),
        ErrorCode.Conflict,
      );
      await assertRejectsWith(runtime.attach(ref, 'no-such-process'), ErrorCode.NotFound);
      await first.signal('SIGKILL');
      assert.deepEqual(await first.exit, killed('SIGKILL'));
      const reused = await startBackground(runtime, ref, {
        command: ['sleep', '601'],
        processId: 'dup',
      });
      const [listed] = (await runtime.listProcesses(ref)).filter((p) => p.id === 'dup');
      assert.deepEqual(listed?.command, ['sleep', '601'], 'an ended id may be used again');
      await reused.signal('SIGKILL');
      await reused.exit;

      const generated = await startBackground(runtime, ref, { command: ['sleep', '602'] });
      assert.ok(generated.id.length > 0);
      assert.ok((await runtime.listProcesses(ref)).some((p) => p.id === generated.id));
      await generated.signal('SIGKILL');
      await generated.exit;
    });

    test('signals and times out background processes', async ({ runtime, shared }) => {
      const ref = await shared();
      const handle = await startBackground(runtime, ref, { command: ['sleep', '600'] });
      await handle.signal('SIGTERM');
      assert.deepEqual(await handle.exit, killed('SIGTERM'));
      const timed = await startBackground(runtime, ref, {
        command: ['sleep', '600'],
        timeoutMs: 200,
      });
      assert.deepEqual(await timed.exit, killed('SIGKILL', true));
      const [listed] = (await runtime.listProcesses(ref)).filter((p) => p.id === timed.id);
      assert.deepEqual(listed?.exit, killed('SIGKILL', true));
    });

    test('stop ends background processes and start begins with none', async ({
      runtime,
      fresh,
    }) => {
      const ref = await fresh();
      await startBackground(runtime, ref, { command: ['sleep', '600'], processId: 'keeper' });
      await runtime.stop(ref);
      const stopped = await runtime.listProcesses(ref);
      assert.deepEqual(
        stopped.map((p) => [p.id, p.running]),
        [['keeper', false]],
        'the last incarnation stays listed, ended',
      );
      await runtime.start(ref);
      assert.deepEqual(await runtime.listProcesses(ref), []);
    });
  });
}
