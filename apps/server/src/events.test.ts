import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually } from '@paddock/testkit';
import { resolveConfig } from './config.ts';
import { type Engine, startEngine } from './engine.ts';
import { type RunningServer, startServer } from './server.ts';
import { API } from './test-server.ts';

type Up = { engine: Engine; server: RunningServer };
type EventList = {
  metadata: { continue?: string };
  items: Array<{ reason: string; uid: string; name: string }>;
};

describe('sandbox events kept in paddock.db', () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-events-'));
  const running: Up[] = [];
  const up = async (): Promise<Up> => {
    const config = resolveConfig({ flags: { addr: '127.0.0.1:0', home }, env: {} });
    const engine = await startEngine(home, () => {});
    const server = await startServer(config, engine, () => {});
    const started = { engine, server };
    running.push(started);
    return started;
  };
  const down = async (u: Up) => {
    running.splice(running.indexOf(u), 1);
    await u.server.close();
    await u.engine.close();
  };
  after(async () => {
    for (const u of [...running]) await down(u);
    const last = await startEngine(home, () => {});
    for (const ref of await last.runtime.list()) await last.runtime.destroy(ref);
    await last.close();
    rmSync(home, { recursive: true, force: true });
  });

  const base = '/api/v1/namespaces/default/sandboxes';
  const list = async (url: string, query = ''): Promise<EventList> => {
    const res = await fetch(`${url}${base}/ev/events${query}`);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as EventList;
  };

  it('serves the reconciler events through the route, paged, and after a restart', async () => {
    const first = await up();
    const created = await fetch(`${first.server.url}${base}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Sandbox',
        metadata: { name: 'ev' },
        spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
      }),
    });
    assert.equal(created.status, 201);
    const { metadata } = (await created.json()) as { metadata: { uid: string } };
    const before = await eventually(
      async () => {
        const page = await list(first.server.url);
        return page.items.some((e) => e.reason === 'Admitted') ? page : undefined;
      },
      { timeoutMs: 30_000, what: 'an Admitted event' },
    );
    assert.ok(before.items.every((e) => e.uid === metadata.uid && e.name === 'ev'));

    // Paging one at a time returns the same timeline.
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await list(first.server.url, `?limit=1${token ? `&continue=${token}` : ''}`);
      paged.push(...page.items.map((e) => e.reason));
      token = page.metadata.continue;
    } while (token !== undefined && paged.length <= before.items.length);
    assert.deepEqual(
      paged.slice(0, before.items.length),
      before.items.map((e) => e.reason),
    );

    await down(first);
    const second = await up();
    const after = await list(second.server.url);
    assert.deepEqual(
      after.items.slice(0, before.items.length).map((e) => e.reason),
      before.items.map((e) => e.reason),
    );
    const bad = await fetch(`${second.server.url}${base}/ev/events?continue=bm9wZQ`);
    assert.equal(bad.status, 400);
  });
});
