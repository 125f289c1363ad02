import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import { assertRejectsWith, resourceEvent, runEventLogContract, within } from '@paddock/testkit';
import { openSqliteEventLog, openSqliteStore, type SqliteEventLog } from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-events-'));
  dirs.push(dir);
  return join(dir, 'paddock.db');
}

runEventLogContract('sqlite', async () => {
  const path = tempPath();
  const handles: SqliteEventLog[] = [await openSqliteEventLog({ path })];
  const [log] = handles;
  assert.ok(log);
  return {
    log,
    connect: async () => {
      const handle = await openSqliteEventLog({ path });
      handles.push(handle);
      return handle;
    },
    cleanup: async () => {
      for (const handle of handles) await handle.close();
    },
  };
});

describe('SqliteEventLog', () => {
  it('keeps the newest maxEventsPerObject events of each object, others untouched', async () => {
    const path = tempPath();
    const log = await openSqliteEventLog({ path, maxEventsPerObject: 3 });
    try {
      for (let n = 1; n <= 6; n++) await log.record(resourceEvent(n));
      await log.record(resourceEvent(7, { name: 'other' }));
      // Same name in another namespace or kind is another object with its own budget.
      await log.record(resourceEvent(8, { namespace: 'team' }));
      await log.record(resourceEvent(9, { kind: 'SandboxTemplate' }));
      const of = async (query: Parameters<typeof log.query>[0]) =>
        (await log.query(query)).items.map((e) => e.reason);
      assert.deepEqual(await of({ kind: 'Sandbox', namespace: 'default', name: 'box' }), [
        'Step4',
        'Step5',
        'Step6',
      ]);
      assert.deepEqual(await of({ name: 'other' }), ['Step7']);
      assert.deepEqual(await of({ namespace: 'team' }), ['Step8']);
      assert.deepEqual(await of({ kind: 'SandboxTemplate' }), ['Step9']);
    } finally {
      await log.close();
    }
  });

  it('prunes by age and returns how many it removed', async () => {
    const log = await openSqliteEventLog({ path: tempPath() });
    try {
      for (let n = 1; n <= 5; n++) await log.record(resourceEvent(n));
      const cutoff = new Date(resourceEvent(3).timestamp);
      assert.equal(await log.prune(cutoff), 2);
      assert.deepEqual(
        (await log.query()).items.map((e) => e.reason),
        ['Step3', 'Step4', 'Step5'],
      );
      assert.equal(await log.prune(cutoff), 0);
      await assertRejectsWith(log.prune(new Date('nonsense')), ErrorCode.ValidationFailed);
    } finally {
      await log.close();
    }
  });

  it('shares the store file: a store and an event log open the same database', async () => {
    const path = tempPath();
    const store = await openSqliteStore({ path });
    const log = await openSqliteEventLog({ path });
    try {
      await log.record(resourceEvent(1));
      assert.deepEqual((await store.list('Sandbox')).items, []);
      assert.equal((await log.query()).items.length, 1);
    } finally {
      await log.close();
      await store.close();
    }
  });

  it('follows records of another connection (the poll), and ends every follow at close', async () => {
    const path = tempPath();
    const log = await openSqliteEventLog({ path, pollIntervalMs: 5 });
    const other = await openSqliteEventLog({ path });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    try {
      const iterator = log.follow({}, new AbortController().signal)[Symbol.asyncIterator]();
      const pending = iterator.next();
      await other.record(resourceEvent(1));
      const first = await within(pending, 10_000, 'an event recorded by another connection');
      assert.equal(first.value?.reason, 'Step1');
      const waiting = iterator.next();
      await log.close();
      assert.equal((await within(waiting, 10_000, 'close to end the follow')).done, true);
      assert.equal(timers(), before, 'the poll timer stops with the last follower');
    } finally {
      await log.close();
      await other.close();
    }
  });

  it('reports a corrupt row as internal instead of returning it', async () => {
    const path = tempPath();
    const log = await openSqliteEventLog({ path });
    try {
      await log.record(resourceEvent(1));
      const raw = new DatabaseSync(path);
      raw.exec(`UPDATE events SET json = '{"kind":"Sandbox"}'`);
      raw.close();
      await assertRejectsWith(log.query(), ErrorCode.Internal);
    } finally {
      await log.close();
    }
  });

  it('refuses bad options, listing each problem', async () => {
    await assertRejectsWith(
      openSqliteEventLog({ path: '', maxEventsPerObject: 0 }),
      ErrorCode.ValidationFailed,
      (error) => assert.match(error.message, /path.*maxEventsPerObject/),
    );
  });
});
