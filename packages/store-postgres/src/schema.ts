import { ErrorCode, PaddockError } from '@paddock/core';
import { z } from 'zod';
import { v1 } from './migrations/v1.ts';
import { v2 } from './migrations/v2.ts';
import { v3 } from './migrations/v3.ts';
import { v4 } from './migrations/v4.ts';

/** The migrations, one file per version: `MIGRATIONS[i]` takes the schema from `i` to `i + 1`. */
const MIGRATIONS: readonly string[] = [v1, v2, v3, v4];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Any key held for the migration: replicas opening a new database at once migrate it once. */
const MIGRATION_LOCK = 0x7061_6464; // "padd"

const VersionRow = z.object({ version: z.number().int().nonnegative() });

/** What `migrate` needs of a connection: one session, already inside a transaction. */
export type Session = { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> };

/**
 * Brings the database to `SCHEMA_VERSION` inside the caller's transaction: a transaction-scoped
 * advisory lock serializes replicas, `schema_version` holds one row with the version, and each
 * missing migration runs in order. A newer database than this code knows is refused with
 * `internal` rather than misread.
 */
export async function migrate(session: Session): Promise<void> {
  await session.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await session.query(
    `CREATE TABLE IF NOT EXISTS schema_version (
       id int PRIMARY KEY CHECK (id = 1),
       version int NOT NULL CHECK (version >= 0)
     )`,
  );
  await session.query(
    'INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING',
  );
  const { rows } = await session.query('SELECT version FROM schema_version WHERE id = 1');
  const { version } = VersionRow.parse(rows[0]);
  if (version > SCHEMA_VERSION) {
    throw new PaddockError(
      ErrorCode.Internal,
      `the database schema is version ${version}, newer than this Paddock understands (${SCHEMA_VERSION})`,
      { schemaVersion: version, supportedVersion: SCHEMA_VERSION },
    );
  }
  for (let next = version; next < SCHEMA_VERSION; next++) {
    await session.query(MIGRATIONS[next] ?? '');
    await session.query('UPDATE schema_version SET version = $1 WHERE id = 1', [next + 1]);
  }
}
