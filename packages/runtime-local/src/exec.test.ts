// What the runtime contract leaves to each runtime: who runs the command and from which
// environment. The contract itself (argv, stdin, signals, timeouts, terminals, background
// processes) runs in runtime-contract.test.ts.
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

  it('runs as the sandbox user, on a host named after the sandbox', async () => {
    const who = await sh(world.runtime, ref, 'id -u; id -g; id -G; hostname');
    assert.equal(who.stdout, `1000\n1000\n1000\n${ref.name}\n`);
  });

  it('builds a clean environment: a fixed base, nothing of the host', async () => {
    const env = (await run(world.runtime, ref, ['env'])).stdout;
    assert.match(env, /^HOME=\/home\/user$/m);
    assert.match(env, /^USER=user$/m);
    assert.match(env, /^PATH=\/usr\/local\/sbin:/m);
    assert.match(env, /^FROM_TEMPLATE=template$/m);
    assert.doesNotMatch(env, /^TERM=/m);
    assert.doesNotMatch(env, /NODE|npm_|PADDOCK/);
    const tty = await world.runtime.exec(ref, { command: ['sh', '-c', 'echo $TERM'], tty: true });
    assert.match(await readText(tty.stdout), /^xterm-256color/);
    await tty.exit;
    await assert.rejects(
      world.runtime.exec(ref, { command: ['true'], background: true, timeoutMs: 1.5 }),
      (e) => isPaddockError(e, 'validation_failed') && /timeoutMs/.test(e.message),
      'a fractional timeout is refused up front, not lost in the background supervisor',
    );
  });

  it("hands the command its stdio pipes, and nobody else: the sandbox user's, 0600", async () => {
    const piped = await sh(
      world.runtime,
      ref,
      'stat -L -c "%u %a %F" /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2',
    );
    assert.equal(piped.stdout, '1000 600 fifo\n'.repeat(3));
  });

  it('hands a terminal exec its terminal: the command may reopen it as /dev/stdout', async () => {
    const tty = await world.runtime.exec(ref, {
      command: [
        'sh',
        '-c',
        'echo out > /dev/stdout; echo err > /dev/stderr; echo fd > /proc/self/fd/1',
      ],
      tty: true,
    });
    assert.equal(await readText(tty.stdout), 'out\r\nerr\r\nfd\r\n');
    assert.deepEqual(await tty.exit, { exitCode: 0, signal: null, timedOut: false });
  });
});
