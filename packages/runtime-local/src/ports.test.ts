import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import { createTestWorld, skipReason, type TestWorld } from './test-sandboxes.ts';

describe('connectPort', { skip: skipReason }, () => {
  let world: TestWorld;
  let ref: SandboxRef;
  before(async () => {
    world = createTestWorld();
    ref = await world.provision();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('opens a byte stream to a port inside the sandbox', async () => {
    const server = await world.runtime.exec(ref, {
      command: ['socat', 'TCP-LISTEN:7000,bind=127.0.0.1,fork,reuseaddr', 'PIPE'],
      background: true,
    });
    try {
      let stream: Awaited<ReturnType<typeof world.runtime.connectPort>> | undefined;
      for (let attempt = 0; attempt < 100 && stream === undefined; attempt += 1) {
        stream = await world.runtime.connectPort(ref, 7000).catch(() => undefined);
        if (stream === undefined) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(stream, 'the in-sandbox server accepted a connection');
      const writer = stream.writable.getWriter();
      await writer.write(new TextEncoder().encode('hello\n'));
      const reader = stream.readable.getReader();
      let received = '';
      while (!received.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) break;
        received += new TextDecoder().decode(value);
      }
      assert.equal(received, 'hello\n');
      reader.releaseLock();
      writer.releaseLock();
      await stream.close();
    } finally {
      await server.signal('SIGKILL');
      await server.exit;
    }
  });

  it('rejects a port nothing listens on, and bad ports', async () => {
    await assert.rejects(world.runtime.connectPort(ref, 7001), (e) =>
      isPaddockError(e, 'not_found'),
    );
    await assert.rejects(world.runtime.connectPort(ref, 70000), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
  });
});
