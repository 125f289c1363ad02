import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { type AuditRecord, ErrorCode } from '@paddock/core';
import { assertRejectsWith, isSettledThisTurn, within, withoutTimers } from '@paddock/testkit';
import { openSqliteAuditLog, openSqliteStore, type SqliteAuditLog } from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-audit-'));
  dirs.push(dir);
  return join(dir, 'paddock.db');
}

async function withLog(body: (log: SqliteAuditLog, path: string) => Promise<void>) {
  const path = tempPath();
  const log = await openSqliteAuditLog({ path });
  try {
    await body(log, path);
  } finally {
    await log.close();
  }
}

const T0 = Date.parse('2025-01-01T00:00:00Z');

function record(n: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: `a-${n}`,
    time: new Date(T0 + n * 1000).toISOString(),
    requestId: `req-${n}`,
    actor: 'alice',
    action: 'sandbox.create',
    target: { kind: 'Sandbox', namespace: 'default', name: `box-${n}` },
    result: 'success',
    ...overrides,
  };
}

const ids = (items: AuditRecord[]) => items.map((item) => item.id);

describe('SqliteAuditLog', () => {
  it('returns appended records newest first, unchanged', async () => {
    await withLog(async (log) => {
      const full = record(2, { status: 201, message: 'created', details: { cpu: '1', n: [1, 2] } });
      await log.append(record(1));
      await log.append(full);
      await log.append(record(3));
      const page = await log.query();
      assert.deepEqual(ids(page.items), ['a-3', 'a-2', 'a-1']);
      assert.deepEqual(page.items[1], full);
      assert.equal(page.continue, undefined);
    });
  });

  it('orders by time, not by append order, and by append order within one instant', async () => {
    await withLog(async (log) => {
      await log.append(record(5));
      await log.append(record(1));
      await log.append({ ...record(9), id: 'same-1', time: record(3).time });
      await log.append({ ...record(9), id: 'same-2', time: record(3).time });
      // An offset other than Z is the same instant: ordering uses the instant, not the text.
      await log.append({ ...record(9), id: 'offset', time: '2025-01-01T01:00:04+01:00' });
      assert.deepEqual(ids((await log.query()).items), [
        'a-5',
        'offset',
        'same-2',
        'same-1',
        'a-1',
      ]);
    });
  });

  it('filters by actor, action, result, target and time range, combined', async () => {
    await withLog(async (log) => {
      await log.append(record(1));
      await log.append(record(2, { actor: 'bob' }));
      await log.append(record(3, { action: 'sandbox.exec', result: 'denied', status: 404 }));
      await log.append(record(4, { action: 'auth.failure', actor: 'unknown', target: '/api/v1' }));
      await log.append(record(5, { result: 'failure' }));
      const q = async (query: Parameters<SqliteAuditLog['query']>[0]) =>
        ids((await log.query(query)).items);
      assert.deepEqual(await q({ actor: 'bob' }), ['a-2']);
      assert.deepEqual(await q({ action: 'sandbox.exec' }), ['a-3']);
      assert.deepEqual(await q({ result: 'failure' }), ['a-5']);
      assert.deepEqual(await q({ target: '/api/v1' }), ['a-4']);
      assert.deepEqual(await q({ target: { name: 'box-2' } }), ['a-2']);
      assert.deepEqual(await q({ target: { kind: 'Sandbox', namespace: 'default' } }), [
        'a-5',
        'a-3',
        'a-2',
        'a-1',
      ]);
      assert.deepEqual(await q({ since: record(2).time, until: record(4).time }), ['a-3', 'a-2']);
      assert.deepEqual(await q({ actor: 'alice', action: 'sandbox.create' }), ['a-5', 'a-1']);
    });
  });

  it('pages with continue tokens without gaps or repeats, keeping the filters', async () => {
    await withLog(async (log) => {
      for (let n = 1; n <= 7; n++) await log.append(record(n, { actor: n % 2 ? 'alice' : 'bob' }));
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await log.query({
          actor: 'alice',
          limit: 2,
          ...(token === undefined ? {} : { continue: token }),
        });
        seen.push(...ids(page.items));
        token = page.continue;
        pages++;
      } while (token !== undefined);
      assert.deepEqual(seen, ['a-7', 'a-5', 'a-3', 'a-1']);
      assert.equal(pages, 2);
    });
  });

  it('prunes records older than the cutoff and returns how many', async () => {
    await withLog(async (log) => {
      for (let n = 1; n <= 5; n++) await log.append(record(n));
      assert.equal(await log.prune(new Date(T0 + 3000)), 2);
      assert.deepEqual(ids((await log.query()).items), ['a-5', 'a-4', 'a-3']);
      assert.equal(await log.prune(new Date(T0 + 3000)), 0);
    });
  });

  it('refuses invalid records, duplicate ids, bad queries and forged tokens', async () => {
    await withLog(async (log) => {
      await log.append(record(1));
      await assertRejectsWith(log.append(record(1)), ErrorCode.AlreadyExists);
      await assertRejectsWith(
        log.append({ ...record(2), time: 'yesterday' }),
        ErrorCode.ValidationFailed,
      );
      await assertRejectsWith(
        log.append({ ...record(2), result: 'maybe' as 'success' }),
        ErrorCode.ValidationFailed,
      );
      await assertRejectsWith(log.query({ limit: 0 }), ErrorCode.ValidationFailed);
      await assertRejectsWith(
        log.query({ continue: 'bm90LWEtdG9rZW4' }),
        ErrorCode.ValidationFailed,
      );
      assert.deepEqual(ids((await log.query()).items), ['a-1']);
    });
  });

  it('keeps appended records across a reopen, in the same file as the store', async () => {
    const path = tempPath();
    const store = await openSqliteStore({ path });
    const log = await openSqliteAuditLog({ path });
    await log.append(record(1));
    await log.append(record(2, { details: { note: 'durable' } }));
    await log.close();
    await store.close();
    const reopened = await openSqliteAuditLog({ path });
    try {
      const page = await reopened.query();
      assert.deepEqual(ids(page.items), ['a-2', 'a-1']);
      assert.deepEqual(page.items[0]?.details, { note: 'durable' });
    } finally {
      await reopened.close();
    }
  });

  it('follows the records appended after the call, each pushed within its commit turn', async () => {
    await withLog(async (log) => {
      await log.append(record(1));
      const controller = new AbortController();
      await withoutTimers(async () => {
        const iterator = log.follow(controller.signal)[Symbol.asyncIterator]();
        const pending = iterator.next();
        assert.equal(await isSettledThisTurn(pending), false, 'a-1 came before the follow');
        // Append order, not time order: a record with an early time still comes next.
        await log.append(record(0, { id: 'early' }));
        assert.equal(await isSettledThisTurn(pending), true, 'woken by the append');
        assert.equal((await pending).value?.id, 'early');
        await log.append(record(2));
        assert.equal((await iterator.next()).value?.id, 'a-2');
        const ending = iterator.next();
        controller.abort();
        assert.equal((await ending).done, true);
      });
    });
  });

  it('follows appends of another connection (the poll); close ends a follow', async () => {
    const path = tempPath();
    const log = await openSqliteAuditLog({ path, pollIntervalMs: 5 });
    const other = await openSqliteAuditLog({ path });
    try {
      const iterator = log.follow(new AbortController().signal)[Symbol.asyncIterator]();
      const pending = iterator.next();
      await other.append(record(1));
      const first = await within(pending, 10_000, 'a record appended by another connection');
      assert.equal(first.value?.id, 'a-1');
      const waiting = iterator.next();
      await log.close();
      assert.equal((await within(waiting, 10_000, 'close to end the follow')).done, true);
    } finally {
      await log.close();
      await other.close();
    }
  });

  it('reports a corrupt row as internal instead of returning it', async () => {
    await withLog(async (log, path) => {
      await log.append(record(1));
      const db = new DatabaseSync(path);
      db.exec(`UPDATE audit_log SET json = '{"id":"a-1"}'`);
      db.close();
      await assertRejectsWith(log.query(), ErrorCode.Internal);
    });
  });
});
