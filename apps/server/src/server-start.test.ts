// A server whose first list of Runs or Sandboxes fails does not start, and leaves nothing
// listening behind: its API and preview ports are free again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ResourceStore } from '@paddock/core';
import { resolveConfig } from './config.ts';
import { type Engine, startEngine } from './engine.ts';
import { startServer } from './server.ts';

/** Listens on `port` (0: any) of 127.0.0.1 and closes again; the port it had. */
async function listenOnce(port: number): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

describe('a server whose first list fails', { timeout: 20_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-start-'));
  let engine: Engine;
  before(async () => {
    engine = await startEngine(home, () => {});
  });
  after(async () => {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('rejects, and closes its listeners', async () => {
    const [apiPort, previewPort] = [await listenOnce(0), await listenOnce(0)];
    const config = resolveConfig({
      flags: { addr: `127.0.0.1:${apiPort}`, 'preview-addr': `127.0.0.1:${previewPort}`, home },
      env: {},
    });
    const failing: ResourceStore = Object.create(engine.store);
    failing.list = async (kind, options) => {
      if (kind === 'Run') throw new Error('the store is unreachable');
      return engine.store.list(kind, options);
    };
    await assert.rejects(
      startServer(config, { ...engine, store: failing }, () => {}),
      {
        message: 'the store is unreachable',
      },
    );
    assert.equal(await listenOnce(apiPort), apiPort, 'the API port is free again');
    assert.equal(await listenOnce(previewPort), previewPort, 'the preview port is free again');
  });
});
