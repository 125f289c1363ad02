import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import { assertRejectsWith, auditRecord as record, runAuditLogContract } from '@paddock/testkit';
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

// Across connections: another handle on the same file, noticed by the poll of `data_version`.
runAuditLogContract('sqlite', async () => {
  const path = tempPath();
  const handles: SqliteAuditLog[] = [await openSqliteAuditLog({ path, pollIntervalMs: 5 })];
  const [log] = handles;
  assert.ok(log);
  return {
    log,
    connect: async () => {
      const handle = await openSqliteAuditLog({ path });
      handles.push(handle);
      return handle;
    },
    cleanup: async () => {
      for (const handle of handles) await handle.close();
    },
  };
});

const ids = (items: Array<{ id: string }>) => items.map((item) => item.id);

describe('SqliteAuditLog', () => {
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
