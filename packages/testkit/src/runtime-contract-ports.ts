import assert from 'node:assert/strict';
import { ErrorCode } from '@paddock/core';
import { eventually } from './eventually.ts';
import type { RuntimeGroup } from './runtime-contract.ts';
import { encode, readUntil, startBackground } from './runtime-fixtures.ts';
import { assertRejectsWith } from './store-fixtures.ts';

/** connectPort: a byte stream to a TCP port inside the sandbox, and nothing else. */
export function portCases(group: RuntimeGroup): void {
  group('ports', {}, (test) => {
    test('connects to a port a process listens on inside the sandbox', async ({
      runtime,
      shared,
    }) => {
      const ref = await shared();
      const server = await startBackground(runtime, ref, {
        command: ['socat', 'TCP-LISTEN:7000,bind=127.0.0.1,fork,reuseaddr', 'PIPE'],
      });
      try {
        // The listener needs a moment to bind; until then the port is not_found.
        const stream = await eventually(() => runtime.connectPort(ref, 7000), {
          what: 'the in-sandbox server accepting a connection',
          timeoutMs: 10_000,
        });
        const writer = stream.writable.getWriter();
        await writer.write(encode('hello\n'));
        const reader = stream.readable.getReader();
        assert.equal(await readUntil(reader, /\n/), 'hello\n');
        reader.releaseLock();
        writer.releaseLock();
        await stream.close();
      } finally {
        await server.signal('SIGKILL');
        await server.exit;
      }
    });

    test('refuses a port nothing listens on, and invalid ports', async ({ runtime, shared }) => {
      const ref = await shared();
      await assertRejectsWith(runtime.connectPort(ref, 7001), ErrorCode.NotFound);
      for (const port of [0, -1, 65_536, 80.5]) {
        await assertRejectsWith(runtime.connectPort(ref, port), ErrorCode.ValidationFailed);
      }
    });
  });
}
