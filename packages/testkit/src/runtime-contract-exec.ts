import assert from 'node:assert/strict';
import {
  ErrorCode,
  type ExecRequest,
  RuntimeState,
  type SandboxRef,
  type SandboxRuntime,
} from '@paddock/core';
import { eventually } from './eventually.ts';
import type { RuntimeGroup } from './runtime-contract.ts';
import {
  collectText,
  decode,
  encode,
  exited,
  killed,
  REOPEN_STDIO,
  readUntil,
  runToEnd,
  shell,
} from './runtime-fixtures.ts';
import { assertRejectsWith, pause } from './store-fixtures.ts';

/** Counts processes whose command line is `sleep <seconds>`, from /proc (no ps needed). */
const countSleeps = (seconds: string) =>
  `n=0; for f in /proc/[0-9]*/cmdline; do [ "$(tr '\\0' ' ' < "$f" 2>/dev/null)" = "sleep ${seconds} " ] && n=$((n + 1)); done; echo $n`;

/** How many `sleep <seconds>` run in the sandbox, as a number. */
async function sleeps(runtime: SandboxRuntime, ref: SandboxRef, seconds: string): Promise<number> {
  return Number((await shell(runtime, ref, countSleeps(seconds))).stdout);
}

/**
 * Processes a kill must not reach: another exec of the same sandbox and one of another sandbox.
 * `assertUntouched` checks they run on and the sandbox still serves execs and files.
 */
async function startBystanders(runtime: SandboxRuntime, ref: SandboxRef, other: SandboxRef) {
  const near = await runtime.exec(ref, { command: ['sleep', '1881'] });
  const far = await runtime.exec(other, { command: ['sleep', '1882'] });
  await eventually(
    async () =>
      (await sleeps(runtime, ref, '1881')) === 1 && (await sleeps(runtime, other, '1882')) === 1,
    { what: 'the bystanders to run', timeoutMs: 10_000 },
  );
  return {
    async assertUntouched(): Promise<void> {
      assert.equal(await sleeps(runtime, ref, '1881'), 1, 'another exec of the sandbox runs on');
      assert.equal(await sleeps(runtime, other, '1882'), 1, 'another sandbox runs on');
      assert.equal((await runtime.observe(ref)).state, RuntimeState.Running);
      await runtime.files.write(ref, '/workspace/after-kill.txt', encode('still here'));
      assert.equal(
        decode(await runtime.files.read(ref, '/workspace/after-kill.txt')),
        'still here',
      );
    },
    async end(): Promise<void> {
      for (const handle of [near, far]) {
        await handle.signal('SIGKILL');
        await handle.exit;
      }
    },
  };
}

/** Foreground exec: argv, env, cwd, stdin, exit codes, signals, timeouts, terminals. */
export function execCases(group: RuntimeGroup): void {
  const setup = {
    env: [{ name: 'FROM_TEMPLATE', value: 'template' }],
    provisionEnv: { FROM_PROVISION: 'provision' },
  };
  group('exec', setup, (test) => {
    test('runs argv exactly as given, in /workspace unless cwd says otherwise', async ({
      runtime,
      shared,
    }) => {
      const ref = await shared();
      const argv = ['printf', '[%s]', 'a b', '', "it's", '$HOME', '*', 'ü\ttab'];
      assert.equal((await runToEnd(runtime, ref, argv)).stdout, "[a b][][it's][$HOME][*][ü\ttab]");
      assert.equal((await runToEnd(runtime, ref, ['pwd'])).stdout, '/workspace\n');
      assert.equal((await runToEnd(runtime, ref, ['pwd'], { cwd: '/tmp' })).stdout, '/tmp\n');
      const missing = await runToEnd(runtime, ref, ['pwd'], { cwd: '/no/such/dir' });
      assert.notEqual(missing.exitCode, 0, 'a cwd that does not exist fails the process');
      assert.equal(missing.stdout, '');
    });

    test('composes the environment: template, then provision request, then exec request', async ({
      runtime,
      shared,
    }) => {
      const ref = await shared();
      const script = 'printf "%s|%s|%s" "$FROM_TEMPLATE" "$FROM_PROVISION" "$EXTRA"';
      assert.equal((await shell(runtime, ref, script)).stdout, 'template|provision|');
      const overridden = await shell(runtime, ref, script, {
        env: { FROM_TEMPLATE: 'request', EXTRA: "it's\nmultiline $HOME" },
      });
      assert.equal(overridden.stdout, "request|provision|it's\nmultiline $HOME");
      assert.equal((await shell(runtime, ref, script)).stdout, 'template|provision|');
    });

    test('pipes stdin, keeps stdout and stderr apart and reports exit codes', async ({
      runtime,
      shared,
    }) => {
      const ref = await shared();
      const result = await runToEnd(
        runtime,
        ref,
        ['sh', '-c', 'tr a-z A-Z; echo oops >&2; exit 3'],
        {
          stdin: 'shout\n',
        },
      );
      assert.deepEqual(result, { ...exited(3), stdout: 'SHOUT\n', stderr: 'oops\n' });
      const big = 'x'.repeat(256 * 1024);
      const echoed = await runToEnd(runtime, ref, ['wc', '-c'], { stdin: big });
      assert.equal(echoed.stdout.trim(), String(big.length));
      assert.equal((await runToEnd(runtime, ref, ['no-such-program'])).exitCode, 127);
    });

    test('lets the command reopen its stdio: /dev/stdout, /dev/stderr, /dev/stdin', async ({
      runtime,
      shared,
    }) => {
      const ref = await shared();
      const whole = await runToEnd(runtime, ref, REOPEN_STDIO, { stdin: 'in\n' });
      assert.deepEqual(whole, {
        ...exited(0),
        stdout: 'out\nin\nboth\nfd1\n',
        stderr: 'err\nboth\n',
      });

      // Streaming, without a terminal: input written once the command has asked for it.
      const streaming = await runtime.exec(ref, {
        command: ['sh', '-c', 'echo ready > /dev/stdout; head -n 1 /dev/stdin | tee /dev/stderr'],
      });
      const reader = streaming.stdout.getReader();
      assert.match(await readUntil(reader, /ready/), /ready/);
      const writer = streaming.stdin.getWriter();
      await writer.write(encode('later\n'));
      await writer.close();
      assert.match(await readUntil(reader, /later/), /later/);
      assert.equal(await collectText(streaming.stderr), 'later\n');
      assert.deepEqual(await streaming.exit, exited(0));
    });

    test('delivers signals and reports a death by signal', async ({ runtime, shared }) => {
      const ref = await shared();
      const trapping = await runtime.exec(ref, {
        command: [
          'sh',
          '-c',
          'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.05; done',
        ],
      });
      const reader = trapping.stdout.getReader();
      assert.match(await readUntil(reader, /ready/), /ready/);
      await trapping.signal('SIGTERM');
      assert.match(await readUntil(reader, /got TERM/), /got TERM/);
      assert.deepEqual(await trapping.exit, exited(7));

      const sleeper = await runtime.exec(ref, { command: ['sleep', '30'] });
      await sleeper.signal('KILL');
      assert.deepEqual(await sleeper.exit, killed('SIGKILL'), 'a bare name means the same signal');
      await assertRejectsWith(sleeper.signal('SIGNOPE'), ErrorCode.ValidationFailed);
    });

    test('ends the process and its children at timeoutMs', async ({ runtime, shared }) => {
      const ref = await shared();
      const result = await shell(runtime, ref, 'sleep 1771 & sleep 1771; echo never', {
        timeoutMs: 300,
      });
      assert.deepEqual(result, { ...killed('SIGKILL', true), stdout: '', stderr: '' });
      assert.equal((await shell(runtime, ref, countSleeps('1771'))).stdout, '0\n');
      const quick = await runToEnd(runtime, ref, ['true'], { timeoutMs: 10_000 });
      assert.deepEqual(quick, { ...exited(0), stdout: '', stderr: '' });
    });

    test('SIGKILL ends the process and every process it started, nothing else', async ({
      runtime,
      shared,
      fresh,
    }) => {
      const ref = await shared();
      const bystanders = await startBystanders(runtime, ref, await fresh());
      try {
        const handle = await runtime.exec(ref, {
          command: ['sh', '-c', 'sleep 1880 & sleep 1880; echo never'],
        });
        await eventually(async () => (await sleeps(runtime, ref, '1880')) === 2, {
          what: 'both sleeps to start',
          timeoutMs: 10_000,
        });
        await handle.signal('SIGKILL');
        assert.deepEqual(await handle.exit, killed('SIGKILL'));
        // A sleep that outlives this wait would run for half an hour.
        await eventually(async () => (await sleeps(runtime, ref, '1880')) === 0, {
          what: 'no sleep 1880 left in the sandbox',
          timeoutMs: 3_000,
        });
        assert.equal(await collectText(handle.stdout), '');
        await bystanders.assertUntouched();
      } finally {
        await bystanders.end();
      }
    });

    test('a timeout ends every process the command started, nothing else', async ({
      runtime,
      shared,
      fresh,
    }) => {
      const ref = await shared();
      const bystanders = await startBystanders(runtime, ref, await fresh());
      try {
        const result = await shell(runtime, ref, 'sleep 1779 & sleep 1779; echo never', {
          timeoutMs: 500,
        });
        assert.deepEqual(result, { ...killed('SIGKILL', true), stdout: '', stderr: '' });
        await eventually(async () => (await sleeps(runtime, ref, '1779')) === 0, {
          what: 'no sleep 1779 left in the sandbox',
          timeoutMs: 3_000,
        });
        await bystanders.assertUntouched();
      } finally {
        await bystanders.end();
      }
    });

    test('runs on a terminal that can be resized', async ({ runtime, shared }) => {
      const ref = await shared();
      const handle = await runtime.exec(ref, {
        command: [
          'sh',
          '-c',
          'stty size; [ -t 0 ] && echo on-tty; read line; stty size; echo "got $line"',
        ],
        tty: true,
        cols: 100,
        rows: 30,
      });
      const reader = handle.stdout.getReader();
      const first = await readUntil(reader, /on-tty/);
      assert.match(first, /30 100/);
      await handle.resize(120, 40);
      const writer = handle.stdin.getWriter();
      await writer.write(encode('ping\r'));
      const rest = await readUntil(reader, /got ping/);
      assert.match(rest, /40 120/);
      assert.deepEqual(await handle.exit, exited(0));
      assert.equal(await collectText(handle.stderr), '', 'a terminal merges both streams');
    });

    test('refuses malformed requests with validation_failed', async ({ runtime, shared }) => {
      const ref = await shared();
      const malformed: ExecRequest[] = [
        { command: [] },
        { command: ['pwd'], cwd: 'relative' },
        { command: ['true'], env: { 'BAD-NAME': 'x' } },
        { command: ['true'], timeoutMs: -1 },
        { command: ['true'], timeoutMs: 1.5 },
        { command: ['true'], background: true, tty: true },
      ];
      for (const request of malformed) {
        await assertRejectsWith(runtime.exec(ref, request), ErrorCode.ValidationFailed, (e) =>
          assert.ok(e.message.length > 0, JSON.stringify(request)),
        );
      }
    });

    test('records exec activity for idle expiry', async ({ runtime, shared }) => {
      const ref = await shared();
      await runToEnd(runtime, ref, ['true']);
      const first = (await runtime.observe(ref)).lastActivityAt;
      assert.ok(first !== undefined && !Number.isNaN(Date.parse(first)), String(first));
      await pause(50); // the clock moves on between the two execs
      await runToEnd(runtime, ref, ['true']);
      const second = (await runtime.observe(ref)).lastActivityAt;
      assert.ok(
        second !== undefined && Date.parse(second) > Date.parse(first),
        `${first} → ${second}`,
      );
    });
  });
}
