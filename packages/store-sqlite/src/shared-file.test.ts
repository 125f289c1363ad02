// Several stores on one database file: in one process (two connections) and across processes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ErrorCode } from '@paddock/core';
import { assertRejectsWith, EventReader, pause, template } from '@paddock/testkit';
import { openSqliteStore } from './index.ts';

const execFileAsync = promisify(execFile);
const INDEX_URL = new URL('./index.ts', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'paddock-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function tempPath(): string {
  files += 1;
  return join(dir, `shared-${files}.db`);
}

/**
 * A child process that adds 1 to the `count` annotation of ns/counter `times` times, each a
 * read-modify-write retried on conflict. Children start together at `startAt` (epoch ms) and
 * pause between read and write, so their writes interleave.
 */
function incrementer(path: string, times: number, startAt: number): Promise<unknown> {
  const script = `
    import { openSqliteStore } from ${JSON.stringify(INDEX_URL)};
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const store = await openSqliteStore({ path: ${JSON.stringify(path)} });
    const key = { namespace: 'ns', name: 'counter' };
    await sleep(${startAt} - Date.now()); // all start together
    for (let i = 0; i < ${times}; i += 1) {
      for (;;) {
        const t = await store.get('SandboxTemplate', key);
        const count = Number(t.metadata.annotations?.count ?? '0') + 1;
        await sleep(1);
        try {
          await store.update({ ...t, metadata: { ...t.metadata, annotations: { count: String(count) } } });
          break;
        } catch (error) {
          if (error.code !== 'conflict') throw error;
        }
      }
    }
    await store.close();`;
  return execFileAsync(process.execPath, ['--input-type=module', '-e', script]);
}

describe('stores sharing one file', { timeout: 60_000 }, () => {
  it('detects conflicts between two stores and wakes watches across them', async () => {
    const path = tempPath();
    const a = await openSqliteStore({ path, pollIntervalMs: 10 });
    const b = await openSqliteStore({ path, pollIntervalMs: 10 });
    const watch = new EventReader(b.watch('SandboxTemplate', { namespace: 'ns' }));
    try {
      const pending = watch.next();
      await pause(20); // b's watch is waiting when a writes: only polling can wake it
      const created = await a.create(template('ns', 'shared'));
      assert.equal((await pending).object.metadata.uid, created.metadata.uid);
      const fromB = await b.get('SandboxTemplate', { namespace: 'ns', name: 'shared' });
      await b.update({ ...fromB, spec: { description: 'b wins' } });
      const stale = a.update({ ...created, spec: { description: 'a loses' } });
      await assertRejectsWith(stale, ErrorCode.Conflict);
      const writes = Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).create(template('ns', `n${i}`)),
      );
      const results = await Promise.all(writes);
      assert.equal(new Set(results.map((r) => r.metadata.resourceVersion)).size, 20);
      assert.equal((await watch.take(21)).length, 21);
    } finally {
      await watch.close();
      await a.close();
      await b.close();
    }
  });

  it('loses no update when two processes race on one object, and a watch sees each', async () => {
    const path = tempPath();
    const store = await openSqliteStore({ path, pollIntervalMs: 10 });
    const created = await store.create(template('ns', 'counter'));
    const watch = new EventReader(
      store.watch('SandboxTemplate', { resourceVersion: created.metadata.resourceVersion ?? '' }),
    );
    try {
      const pending = watch.next(30_000);
      await pause(20); // the watch is waiting when the other processes write
      const startAt = Date.now() + 1_000;
      await Promise.all([incrementer(path, 25, startAt), incrementer(path, 25, startAt)]);
      const counts = [(await pending).object.metadata.annotations?.count];
      while (counts.length < 50)
        counts.push((await watch.next()).object.metadata.annotations?.count);
      assert.deepEqual(
        counts,
        Array.from({ length: 50 }, (_, i) => String(i + 1)),
      );
      const final = await store.get('SandboxTemplate', { namespace: 'ns', name: 'counter' });
      assert.equal(final.metadata.annotations?.count, '50');
      assert.equal(final.metadata.generation, 1);
    } finally {
      await watch.close();
      await store.close();
    }
  });
});
