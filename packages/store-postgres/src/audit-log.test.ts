import { describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
  auditRecord,
  postgresSkipReason,
  runAuditLogContract,
} from '@paddock/testkit';
import { openPostgresAuditLog } from './index.ts';
import { logReplicas, postgresForFile } from './test-database.ts';

const { freshUrl, sql } = postgresForFile();

describe('PostgreSQL audit log', { skip: postgresSkipReason }, () => {
  // `connect` opens another replica: its own pool and LISTEN connection on the same database.
  runAuditLogContract('postgres', async () => {
    const url = await freshUrl();
    return logReplicas(() => openPostgresAuditLog({ url }));
  });

  it('reports a corrupt row as internal instead of returning it', async () => {
    const url = await freshUrl();
    const log = await openPostgresAuditLog({ url });
    try {
      await log.append(auditRecord(1));
      await sql(url, `UPDATE audit_log SET json = '{"id":"a-1"}'`);
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
