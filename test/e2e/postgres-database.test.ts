// paddock up with --database postgres://…: audit, run transcripts and usage live in PostgreSQL,
// so a second server (another replica, here another home) sees what the first recorded.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from '@paddock/client';
import {
  type PostgresTestServer,
  postgresSkipReason,
  startPaddockProcess,
  startPostgres,
} from '@paddock/testkit';

const cli = fileURLToPath(new URL('../../apps/cli/src/main.ts', import.meta.url));

describe('paddock up with a PostgreSQL database', { skip: postgresSkipReason ?? false }, () => {
  let postgres: PostgresTestServer;
  const dir = mkdtempSync(join(tmpdir(), 'paddock-pg-'));
  before(async () => {
    postgres = await startPostgres();
  });
  after(async () => {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the audit in the database, where another server reads it', async () => {
    const database = await postgres.createDatabase();
    const start = (home: string) =>
      startPaddockProcess([
        cli,
        'up',
        '--addr',
        '127.0.0.1:0',
        '--home',
        join(dir, home),
        '--database',
        database,
      ]);
    const first = await start('one');
    try {
      const paddock = createClient({ baseUrl: first.url });
      await paddock.resources('SandboxTemplate').apply({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'SandboxTemplate',
        metadata: { name: 'audited', namespace: 'default' },
        spec: {},
      });
    } finally {
      await first.stop();
    }
    const rows = await postgres.sql(
      new URL(database).pathname.slice(1),
      'SELECT count(*) FROM audit_log',
    );
    assert.match(rows, /\b[1-9]\d*\b/, `audit rows in PostgreSQL: ${rows}`);
    const second = await start('two');
    try {
      const records = await createClient({ baseUrl: second.url }).audit.list();
      assert.ok(
        records.items.some((r) => JSON.stringify(r).includes('audited')),
        'the first server’s record, read by the second',
      );
    } finally {
      await second.stop();
    }
  });
});
