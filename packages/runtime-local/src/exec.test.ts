import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import {
  createTestWorld,
  readText,
  run,
  sh,
  skipReason,
  type TestWorld,
} from './test-sandboxes.ts';

/** Reads a stream until `pattern` shows up in what was read; returns all of it. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
): Promise<string> {
  let seen = '';
  while (!pattern.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += Buffer.from(value).toString('utf8');
  }
  return seen;
}

describe('exec', { skip: skipReason }, () => {
  let world: TestWorld;
  let ref: SandboxRef;
  before(async () => {
    world = createTestWorld();
    ref = await world.provision({ env: [{ name: 'FROM_TEMPLATE', value: 'template' }] });
  });
  after(async () => {
    await world?.cleanup();
  });

  it('passes argv exactly, as the sandbox user, in /workspace by default', async () => {
    const result = await run(world.runtime, ref, [
      'printf',
      '[%s]',
      'a b',
      '',
      "it's",
      '$HOME',
      '*',
    ]);
    assert.equal(result.stdout, "[a b][][it's][$HOME][*]");
    const who = await sh(world.runtime, ref, 'id -u; id -g; id -G; pwd; hostname');
    assert.equal(who.stdout, `1000\n1000\n1000\n/workspace\n${ref.name}\n`);
    assert.equal((await run(world.runtime, ref, ['pwd'], { cwd: '/tmp' })).stdout, '/tmp\n');
    const missing = await run(world.runtime, ref, ['pwd'], { cwd: '/nonexistent' });
    assert.equal(missing.exitCode, 126);
  });

  it('builds a clean environment: base, template, provision and request env', async () => {
    const result = await run(world.runtime, ref, ['env'], {
      env: { GREETING: "hello 'world'\nline2", FROM_TEMPLATE: 'request' },
    });
    const env = result.stdout;
    assert.match(env, /^HOME=\/home\/user$/m);
    assert.match(env, /^USER=user$/m);
    assert.match(env, /^PATH=\/usr\/local\/sbin:/m);
    assert.match(env, /^GREETING=hello 'world'\nline2$/m);
    assert.match(env, /^FROM_TEMPLATE=request$/m);
    assert.doesNotMatch(env, /^TERM=/m);
    assert.doesNotMatch(env, /NODE|npm_|PADDOCK/);
    const template = await run(world.runtime, ref, ['sh', '-c', 'echo $FROM_TEMPLATE']);
    assert.equal(template.stdout, 'template\n');
    await assert.rejects(
      world.runtime.exec(ref, { command: ['true'], env: { 'BAD-NAME': 'x' } }),
      (e) => isPaddockError(e, 'validation_failed'),
    );
    await assert.rejects(
      world.runtime.exec(ref, { command: ['true'], background: true, timeoutMs: 1.5 }),
      (e) => isPaddockError(e, 'validation_failed') && /timeoutMs/.test(e.message),
      'a fractional timeout is refused up front, not lost in the background supervisor',
    );
  });

  it('pipes stdin, keeps stderr apart and reports exit codes', async () => {
    const result = await run(
      world.runtime,
      ref,
      ['sh', '-c', 'tr a-z A-Z; echo oops >&2; exit 3'],
      { stdin: 'shout\n' },
    );
    assert.deepEqual(result, {
      exitCode: 3,
      signal: null,
      timedOut: false,
      stdout: 'SHOUT\n',
      stderr: 'oops\n',
    });
    assert.equal((await run(world.runtime, ref, ['no-such-program'])).exitCode, 127);
  });

  it('delivers signals to the command and reports death by signal', async () => {
    const handle = await world.runtime.exec(ref, {
      command: [
        'sh',
        '-c',
        'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.05; done',
      ],
    });
    const reader = handle.stdout.getReader();
    assert.match(await readUntil(reader, /ready/), /ready/);
    await handle.signal('SIGTERM');
    assert.match(await readUntil(reader, /got TERM/), /got TERM/);
    assert.deepEqual(await handle.exit, { exitCode: 7, signal: null, timedOut: false });

    const killed = await world.runtime.exec(ref, { command: ['sleep', '30'] });
    await killed.signal('KILL');
    assert.deepEqual(await killed.exit, { exitCode: null, signal: 'SIGKILL', timedOut: false });
    await assert.rejects(killed.signal('SIGNOPE'), (e) => isPaddockError(e, 'validation_failed'));
  });

  it('kills the whole process group at timeoutMs', async () => {
    const result = await run(world.runtime, ref, ['sh', '-c', 'sleep 30 & sleep 30; echo never'], {
      timeoutMs: 300,
    });
    assert.equal(result.timedOut, true);
    assert.equal(result.exitCode, null);
    assert.equal(result.stdout, '');
    const left = await sh(world.runtime, ref, 'ps -eo args | grep -c "^sleep 30" || true');
    assert.equal(left.stdout.trim(), '0');
  });

  it('runs on a terminal that can be resized', async () => {
    const handle = await world.runtime.exec(ref, {
      command: ['sh', '-c', 'stty size; echo $TERM; read line; stty size; echo "got $line"'],
      tty: true,
      cols: 100,
      rows: 30,
    });
    const reader = handle.stdout.getReader();
    const first = await readUntil(reader, /xterm-256color/);
    assert.match(first, /30 100/);
    await handle.resize(120, 40);
    const writer = handle.stdin.getWriter();
    await writer.write(new TextEncoder().encode('ping\r'));
    const rest = await readUntil(reader, /got ping/);
    assert.match(rest, /40 120/);
    assert.deepEqual(await handle.exit, { exitCode: 0, signal: null, timedOut: false });
    assert.equal(await readText(handle.stderr), '');
  });

  it('runs background processes that a new runtime instance lists and re-attaches', async () => {
    const handle = await world.runtime.exec(ref, {
      command: ['sh', '-c', 'echo out-1; echo err-1 >&2; sleep 0.5; echo out-2; exit 4'],
      background: true,
      processId: 'job',
    });
    assert.equal(handle.id, 'job');
    await handle.stdout.cancel();
    await handle.stderr.cancel();
    const listed = await world.runtime.listProcesses(ref);
    const job = listed.find((p) => p.id === 'job');
    assert.equal(job?.running, true);
    assert.deepEqual(job?.command, [
      'sh',
      '-c',
      'echo out-1; echo err-1 >&2; sleep 0.5; echo out-2; exit 4',
    ]);
    await assert.rejects(
      world.runtime.exec(ref, { command: ['true'], background: true, processId: 'job' }),
      (e) => isPaddockError(e, 'conflict'),
    );

    const restarted = world.reopen();
    const attached = await restarted.attach(ref, 'job');
    const [stdout, stderr, exit] = await Promise.all([
      readText(attached.stdout),
      readText(attached.stderr),
      attached.exit,
    ]);
    assert.equal(stdout, 'out-1\nout-2\n');
    assert.equal(stderr, 'err-1\n');
    assert.deepEqual(exit, { exitCode: 4, signal: null, timedOut: false });
    const after = (await restarted.listProcesses(ref)).find((p) => p.id === 'job');
    assert.deepEqual(after?.exit, { exitCode: 4, signal: null, timedOut: false });
    assert.equal(after?.running, false);
    await assert.rejects(restarted.attach(ref, 'nope'), (e) => isPaddockError(e, 'not_found'));
  });

  it('signals and times out background processes', async () => {
    const handle = await world.runtime.exec(ref, { command: ['sleep', '30'], background: true });
    await handle.signal('SIGTERM');
    assert.deepEqual(await handle.exit, { exitCode: null, signal: 'SIGTERM', timedOut: false });
    const timed = await world.runtime.exec(ref, {
      command: ['sleep', '30'],
      background: true,
      timeoutMs: 200,
    });
    assert.deepEqual(await timed.exit, { exitCode: null, signal: 'SIGKILL', timedOut: true });
  });

  it('records activity for idle expiry', async () => {
    const before = (await world.runtime.observe(ref)).lastActivityAt;
    await new Promise((r) => setTimeout(r, 20));
    await run(world.runtime, ref, ['true']);
    const after = (await world.runtime.observe(ref)).lastActivityAt;
    assert.ok(after !== undefined && (before === undefined || after > before));
  });
});
