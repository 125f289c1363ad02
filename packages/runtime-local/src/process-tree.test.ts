// What the runtime contract's foreground kill cases leave to this runtime: background processes
// and terminals end with every process they started, through the same process group.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SandboxRef } from '@paddock/core';
import { eventually } from '@paddock/testkit';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

describe('killing a process tree', { skip: skipReason }, () => {
  let world: TestWorld;
  let ref: SandboxRef;
  const sleeps = async (seconds: string): Promise<number> => {
    const script = `n=0; for f in /proc/[0-9]*/cmdline; do [ "$(tr '\\0' ' ' < "$f" 2>/dev/null)" = "sleep ${seconds} " ] && n=$((n + 1)); done; echo $n`;
    return Number((await sh(world.runtime, ref, script)).stdout);
  };
  const gone = (seconds: string) =>
    eventually(async () => (await sleeps(seconds)) === 0, {
      what: `no sleep ${seconds} left`,
      timeoutMs: 3_000,
    });
  before(async () => {
    world = createTestWorld();
    ref = await world.provision();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('a signalled background process ends with its children', async () => {
    const handle = await world.runtime.exec(ref, {
      command: ['sh', '-c', 'sleep 1890 & sleep 1890'],
      background: true,
    });
    await eventually(async () => (await sleeps('1890')) === 2, { what: 'both sleeps' });
    await handle.signal('SIGKILL');
    assert.equal((await handle.exit).signal, 'SIGKILL');
    await gone('1890');
  });

  it('a background process at its timeout ends with its children', async () => {
    const handle = await world.runtime.exec(ref, {
      command: ['sh', '-c', 'sleep 1891 & sleep 1891'],
      background: true,
      timeoutMs: 500,
    });
    assert.equal((await handle.exit).timedOut, true);
    await gone('1891');
  });

  it('a command on a terminal ends with its children, by signal and at its timeout', async () => {
    const handle = await world.runtime.exec(ref, {
      command: ['sh', '-c', 'sleep 1892 & sleep 1892'],
      tty: true,
    });
    await eventually(async () => (await sleeps('1892')) === 2, { what: 'both sleeps' });
    await handle.signal('SIGKILL');
    assert.equal((await handle.exit).signal, 'SIGKILL');
    await gone('1892');
    const timed = await world.runtime.exec(ref, {
      command: ['sh', '-c', 'sleep 1893 & sleep 1893'],
      tty: true,
      timeoutMs: 500,
    });
    assert.equal((await timed.exit).timedOut, true);
    await gone('1893');
  });
});
