import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
  auditRecord,
  type PostgresTestServer,
  postgresSkipReason,
  runAuditLogContract,
  startPostgres,
} from '@paddock/testkit';
import { openPostgresAuditLog, type PostgresAuditLog } from './index.ts';

let server: PostgresTestServer | undefined;
before(async () => {
  if (postgresSkipReason === undefined) server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

async function freshUrl(): Promise<string> {
  assert.ok(server, 'the PostgreSQL server');
  return server.createDatabase();
}

describe('PostgreSQL audit log', { skip: postgresSkipReason }, () => {
  // `connect` opens another replica: its own pool and LISTEN connection on the same database.
  runAuditLogContract('postgres', async () => {
    const url = await freshUrl();
    const handles: PostgresAuditLog[] = [await openPostgresAuditLog({ url })];
    const [log] = handles;
    assert.ok(log);
    return {
      log,
      connect: async () => {
        const handle = await openPostgresAuditLog({ url });
        handles.push(handle);
        return handle;
      },
      cleanup: async () => {
        for (const handle of handles) await handle.close();
      },
    };
  });

  it('keeps appended records across a reopen', async () => {
    const url = await freshUrl();
    const log = await openPostgresAuditLog({ url });
    await log.append(auditRecord(1));
    await log.append(auditRecord(2, { details: { note: 'durable' } }));
    await log.close();
    const reopened = await openPostgresAuditLog({ url });
    try {
      const page = await reopened.query();
      assert.deepEqual(
        page.items.map((r) => r.id),
        ['a-2', 'a-1'],
      );
      assert.deepEqual(page.items[0]?.details, { note: 'durable' });
    } finally {
      await reopened.close();
    }
  });

  it('reports a corrupt row as internal instead of returning it', async () => {
    assert.ok(server);
    const url = await freshUrl();
    const log = await openPostgresAuditLog({ url });
    try {
      await log.append(auditRecord(1));
      await server.sql(
        new URL(url).pathname.slice(1),
        `UPDATE audit_log SET json = '{"id":"a-1"}'`,
      );
      await assertRejectsWith(log.query(), ErrorCode.Internal);
    } finally {
      await log.close();
    }
  });

  it('refuses text the database cannot store as validation_failed', async () => {
    const log = await openPostgresAuditLog({ url: await freshUrl() });
    try {
      await assertRejectsWith(
        log.append(auditRecord(1, { actor: 'nul\u0000byte' })),
        ErrorCode.ValidationFailed,
      );
    } finally {
      await log.close();
    }
  });
});
