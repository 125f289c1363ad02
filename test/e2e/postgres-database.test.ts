// paddock up with --database postgres://…: audit, API keys, run transcripts and usage live in
// PostgreSQL, so a second server (another replica, here another home) sees what the first recorded.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from '@paddock/client';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
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

  it('authenticates on a second server an API key made on the first, until revoked on either', async () => {
    const database = await postgres.createDatabase();
    const adminKey = `pdk_${randomBytes(32).toString('base64url')}`;
    const { PADDOCK_BOOTSTRAP_ADMIN_KEY: _, ...baseEnv } = process.env;
    const start = (home: string, env: NodeJS.ProcessEnv) =>
      startPaddockProcess(
        [
          cli,
          'up',
          '--addr',
          '127.0.0.1:0',
          '--home',
          join(dir, home),
          '--database',
          database,
          '--auth',
          'required',
        ],
        { env },
      );
    const first = await start('keys-one', { ...baseEnv, PADDOCK_BOOTSTRAP_ADMIN_KEY: adminKey });
    try {
      // Started after the first installed the bootstrap key, the second finds a key and mints none.
      const second = await start('keys-two', baseEnv);
      try {
        const created = await createClient({ baseUrl: first.url, token: adminKey }).apiKeys.create({
          name: 'ci',
          role: 'user',
        });
        const me = await createClient({ baseUrl: second.url, token: created.key }).me();
        assert.deepEqual(
          { id: me.id, role: me.role, authMethod: me.authMethod },
          { id: 'admin', role: 'user', authMethod: 'apikey' },
        );
        const onSecond = createClient({ baseUrl: second.url, token: adminKey });
        const listed = await onSecond.apiKeys.list({ owner: 'admin' });
        const ci = listed.items.find((key) => key.id === created.apiKey.id);
        assert.ok(ci?.lastUsedAt, 'the use on the second server, seen there');
        await onSecond.apiKeys.revoke(created.apiKey.id);
        await assertRejectsWith(
          createClient({ baseUrl: first.url, token: created.key }).me(),
          ErrorCode.Unauthenticated,
        );
        await assertRejectsWith(
          createClient({
            baseUrl: second.url,
            token: `pdk_${randomBytes(32).toString('base64url')}`,
          }).me(),
          ErrorCode.Unauthenticated,
        );
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  });
});
