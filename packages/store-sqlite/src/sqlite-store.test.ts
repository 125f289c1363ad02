import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
  EventReader,
  isSettledThisTurn,
  pause,
  runStoreContract,
  sandbox,
  summarize,
  template,
  within,
  withoutTimers,
} from '@paddock/testkit';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-store-'));
  dirs.push(dir);
  return join(dir, 'paddock.db');
}

/** Opens a store on a fresh file and closes it after `body`, whatever happens. */
async function withStore(
  options: Omit<SqliteStoreOptions, 'path'>,
  body: (store: SqliteStore, path: string) => Promise<void>,
): Promise<void> {
  const path = tempPath();
  const store = await openSqliteStore({ ...options, path });
  try {
    await body(store, path);
  } finally {
    await store.close();
  }
}

/** A clock that moves only when told. */
function manualClock(start: string): { now: () => Date; advance(ms: number): void } {
  let current = Date.parse(start);
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
  };
}

runStoreContract('sqlite', async () => {
  const path = tempPath();
  const store = await openSqliteStore({ path, pollIntervalMs: 20 });
  return { store, cleanup: () => store.close(), compact: () => store.compact() };
});

describe('SqliteStore', { timeout: 60_000 }, () => {
  it('uses the injected clock and keeps the first deletionTimestamp', async () => {
    const clock = manualClock('2030-05-06T07:08:09.500Z');
    await withStore({ now: clock.now }, async (store) => {
      const created = await store.create(template('ns', 'a', { finalizers: ['paddock.dev/x'] }));
      assert.equal(created.metadata.creationTimestamp, '2030-05-06T07:08:09Z');
      clock.advance(60_000);
      const first = await store.delete('SandboxTemplate', { namespace: 'ns', name: 'a' });
      assert.equal(first.object.metadata.deletionTimestamp, '2030-05-06T07:09:09Z');
      clock.advance(60_000);
      const again = await store.delete('SandboxTemplate', { namespace: 'ns', name: 'a' });
      assert.equal(again.object.metadata.deletionTimestamp, '2030-05-06T07:09:09Z');
      assert.equal(again.object.metadata.resourceVersion, first.object.metadata.resourceVersion);
    });
  });

  it('counts resourceVersion globally, as decimal strings', async () => {
    await withStore({}, async (store) => {
      const a = await store.create(template('ns', 'a'));
      const b = await store.create(template('other', 'b'));
      assert.equal(a.metadata.resourceVersion, '1');
      assert.equal(b.metadata.resourceVersion, '2');
      assert.equal((await store.list('Sandbox')).resourceVersion, '2');
    });
  });

  it('keeps every acknowledged write across close and reopen', async () => {
    const path = tempPath();
    const first = await openSqliteStore({ path });
    const created = await first.create(template('ns', 'durable'));
    const updated = await first.update({ ...created, spec: { description: 'v2' } });
    await first.create(template('ns', 'gone'));
    await first.delete('SandboxTemplate', { namespace: 'ns', name: 'gone' });
    await first.close();
    const second = await openSqliteStore({ path });
    try {
      assert.deepEqual(
        await second.get('SandboxTemplate', { namespace: 'ns', name: 'durable' }),
        updated,
      );
      await assertRejectsWith(
        second.get('SandboxTemplate', { namespace: 'ns', name: 'gone' }),
        ErrorCode.NotFound,
      );
      const next = await second.create(template('ns', 'after'));
      assert.equal(next.metadata.resourceVersion, '5');
      const replay = new EventReader(second.watch('SandboxTemplate', { resourceVersion: '0' }));
      assert.deepEqual(await replay.take(4), [
        'ADDED ns/durable',
        'MODIFIED ns/durable',
        'ADDED ns/gone',
        'DELETED ns/gone',
      ]);
      await replay.close();
    } finally {
      await second.close();
    }
  });

  it('resumes a watch after a restart with exactly the later changes, then pushes new ones', async () => {
    const path = tempPath();
    const first = await openSqliteStore({ path });
    const a = await first.create(template('ns', 'a'));
    const seen = await first.create(template('ns', 'b'));
    await first.update({ ...a, spec: { description: 'a2' } });
    await first.delete('SandboxTemplate', { namespace: 'ns', name: 'b' });
    await first.close();
    const second = await openSqliteStore({ path });
    const controller = new AbortController();
    try {
      await withoutTimers(async () => {
        const watch = new EventReader(
          second.watch('SandboxTemplate', {
            resourceVersion: seen.metadata.resourceVersion ?? '',
            signal: controller.signal,
          }),
        );
        assert.deepEqual(await watch.take(2), ['MODIFIED ns/a', 'DELETED ns/b']);
        // Caught up and waiting: the next commit wakes it before the event loop turns.
        const pending = watch.next();
        assert.equal(await isSettledThisTurn(pending), false, 'nothing new yet');
        await second.create(template('ns', 'c'));
        assert.equal(await isSettledThisTurn(pending), true, 'woken by the commit');
        assert.equal(summarize(await pending), 'ADDED ns/c');
        controller.abort();
        await watch.close();
      });
    } finally {
      await second.close();
    }
  });

  it('expires a watch older than the retained changes', async () => {
    await withStore({ changeRetention: 2 }, async (store) => {
      const a = await store.create(template('ns', 'a'));
      const b = await store.create(template('ns', 'b'));
      await store.create(template('ns', 'c'));
      await store.create(template('ns', 'd'));
      const tooOld = store.watch('SandboxTemplate', {
        resourceVersion: a.metadata.resourceVersion ?? '',
      });
      await assertRejectsWith(tooOld[Symbol.asyncIterator]().next(), ErrorCode.Expired, (error) => {
        assert.equal(error.details.oldestResourceVersion, '2');
      });
      const recent = new EventReader(
        store.watch('SandboxTemplate', { resourceVersion: b.metadata.resourceVersion ?? '' }),
      );
      assert.deepEqual(await recent.take(2), ['ADDED ns/c', 'ADDED ns/d']);
      await recent.close();
    });
  });

  it('keeps a watch that other objects’ changes pass by from expiring', async () => {
    await withStore({ changeRetention: 8 }, async (store) => {
      const watch = new EventReader(
        store.watch('SandboxTemplate', { namespace: 'ns', name: 'mine' }),
      );
      try {
        const pending = watch.next();
        for (let i = 0; i < 12; i++) {
          await store.create(sandbox('ns', `box-${i}`));
          await store.create(template('ns', `other-${i}`));
          await store.create(template('elsewhere', `mine-${i}`));
        }
        await store.create(template('ns', 'mine'));
        assert.equal(summarize(await pending), 'ADDED ns/mine');
      } finally {
        await watch.close();
      }
    });
  });

  it("reads one object's changes through its index, in order, past others' and in batches", async () => {
    await withStore({ changeRetention: 5_000 }, async (store, path) => {
      const first = await store.create(template('ns', 'mine'));
      // The same name in another namespace and of another kind: never its changes.
      let elsewhere = await store.create(template('elsewhere', 'mine'));
      let box = await store.create(sandbox('ns', 'mine'));
      let mine = first;
      for (let i = 0; i < 300; i++) {
        const labels = { n: String(i) };
        [mine, elsewhere, box] = await Promise.all([
          store.update({ ...mine, metadata: { ...mine.metadata, labels } }),
          store.update({ ...elsewhere, metadata: { ...elsewhere.metadata, labels } }),
          store.update({ ...box, metadata: { ...box.metadata, labels } }),
          store.create(template('ns', `other-${i}`)),
        ]);
      }
      const watch = new EventReader(
        store.watch('SandboxTemplate', {
          namespace: 'ns',
          name: 'mine',
          resourceVersion: first.metadata.resourceVersion ?? '0',
        }),
      );
      try {
        // More than one batch (256) of its own changes, each once and in order.
        const labels: string[] = [];
        for (let i = 0; i < 300; i++) {
          const event = await watch.next();
          assert.equal(summarize(event), 'MODIFIED ns/mine');
          labels.push(event.object.metadata.labels?.n ?? '');
        }
        assert.deepEqual(
          labels,
          Array.from({ length: 300 }, (_, i) => String(i)),
        );
      } finally {
        await watch.close();
      }
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        const plan = db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT rv FROM changes INDEXED BY changes_by_object
             WHERE rv > 0 AND kind = 'SandboxTemplate' AND namespace = 'ns' AND name = 'mine' ORDER BY rv`,
          )
          .all()
          .map((row) => String((row as { detail: unknown }).detail));
        assert.match(
          plan.join('\n'),
          /changes_by_object \(kind=\? AND namespace=\? AND name=\? AND rv>\?\)/,
        );
      } finally {
        db.close();
      }
    });
  });

  it('adds the index of changes by object to a database made before it (migration 10)', async () => {
    await withStore({}, async (store, path) => {
      await store.create(template('ns', 'a'));
      await store.close();
      const db = new DatabaseSync(path);
      db.exec('DROP INDEX changes_by_object; PRAGMA user_version = 9');
      db.close();
      const reopened = await openSqliteStore({ path });
      try {
        const events = new EventReader(
          reopened.watch('SandboxTemplate', { namespace: 'ns', name: 'a', resourceVersion: '0' }),
        );
        assert.equal(summarize(await events.next()), 'ADDED ns/a');
        await events.close();
      } finally {
        await reopened.close();
      }
      const check = new DatabaseSync(path, { readOnly: true });
      try {
        const row = check
          .prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'changes_by_object'")
          .get() as { n: number };
        assert.equal(row.n, 1);
        const version = check.prepare('PRAGMA user_version').get() as { user_version: number };
        assert.equal(version.user_version, 10);
      } finally {
        check.close();
      }
    });
  });

  it('expires a watch that falls behind retention while it runs', async () => {
    await withStore({ changeRetention: 1 }, async (store) => {
      const watch = store.watch('SandboxTemplate', {})[Symbol.asyncIterator]();
      const first = watch.next();
      await store.create(template('ns', 'a'));
      assert.equal((await within(first, 5_000, 'event a')).value?.object.metadata.name, 'a');
      await store.create(template('ns', 'b'));
      await store.create(template('ns', 'c'));
      await assertRejectsWith(within(watch.next(), 5_000, 'expired'), ErrorCode.Expired);
      assert.equal((await watch.next()).done, true);
    });
  });

  it('rejects a malformed watch resourceVersion on the first read', async () => {
    await withStore({}, async (store) => {
      const watch = store.watch('SandboxTemplate', { resourceVersion: 'abc' });
      await assertRejectsWith(watch[Symbol.asyncIterator]().next(), ErrorCode.ValidationFailed);
    });
  });

  it('reports a corrupt row as internal, naming the object', async () => {
    await withStore({}, async (store, path) => {
      await store.create(template('ns', 'ok'));
      await store.create(template('ns', 'broken'));
      const raw = new DatabaseSync(path);
      raw.prepare("UPDATE objects SET json = ? WHERE name = 'broken'").run(
        JSON.stringify({
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'SandboxTemplate',
          metadata: { name: 'broken', namespace: 'ns' },
          spec: { isolation: 'vm' },
        }),
      );
      raw.close();
      await assertRejectsWith(
        store.get('SandboxTemplate', { namespace: 'ns', name: 'broken' }),
        ErrorCode.Internal,
        (error) => {
          assert.match(error.message, /SandboxTemplate ns\/broken/);
          assert.match(error.message, /spec\.isolation/);
        },
      );
      await assertRejectsWith(store.list('SandboxTemplate'), ErrorCode.Internal);
      assert.equal(
        (await store.get('SandboxTemplate', { namespace: 'ns', name: 'ok' })).metadata.name,
        'ok',
      );
    });
  });

  it('refuses a file that is not a database, and bad options', async () => {
    const path = tempPath();
    writeFileSync(path, 'not a database, just text '.repeat(100));
    await assertRejectsWith(openSqliteStore({ path }), ErrorCode.Internal);
    await assertRejectsWith(
      openSqliteStore({ path: '', changeRetention: 0 }),
      ErrorCode.ValidationFailed,
      (error) => {
        assert.match(error.message, /path/);
        assert.match(error.message, /changeRetention/);
      },
    );
  });

  it('translates a writer lock held past the busy timeout into a retryable timeout', async () => {
    await withStore({ busyTimeoutMs: 20 }, async (store, path) => {
      const holder = new DatabaseSync(path);
      holder.exec('BEGIN IMMEDIATE');
      try {
        await assertRejectsWith(
          store.create(template('ns', 'blocked')),
          ErrorCode.Timeout,
          (error) => {
            assert.equal(error.details.retryable, true);
          },
        );
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
      assert.equal((await store.create(template('ns', 'blocked'))).metadata.name, 'blocked');
    });
  });

  it('leaves no timer behind once watches end, and close ends open watches', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    await withStore({ pollIntervalMs: 5 }, async (store) => {
      const controller = new AbortController();
      const one = store
        .watch('SandboxTemplate', { signal: controller.signal })
        [Symbol.asyncIterator]();
      const two = store.watch('Sandbox', {})[Symbol.asyncIterator]();
      const pendingOne = one.next();
      assert.ok(timers() > before, 'a watch polls for other writers');
      await pause(20); // let next() reach its wait
      controller.abort();
      assert.equal((await within(pendingOne, 5_000, 'abort to end the watch')).done, true);
      const pendingTwo = two.next();
      await pause(20);
      await store.close();
      assert.equal((await within(pendingTwo, 5_000, 'close to end the watch')).done, true);
      assert.equal(timers(), before);
    });
  });

  it('reports a closed store as internal', async () => {
    const store = await openSqliteStore({ path: tempPath() });
    await store.close();
    await store.close();
    await assertRejectsWith(
      store.get('SandboxTemplate', { namespace: 'ns', name: 'a' }),
      ErrorCode.Internal,
    );
    await assertRejectsWith(
      store.watch('Sandbox')[Symbol.asyncIterator]().next(),
      ErrorCode.Internal,
    );
  });
});
