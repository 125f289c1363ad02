// Test support: the PostgreSQL server of one test file, its fresh databases, and replicas of a
// log on one database.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { type PostgresTestServer, postgresSkipReason, startPostgres } from '@paddock/testkit';

export type TestDatabases = {
  /** Creates an empty database on the file's server and returns its URL. */
  freshUrl(): Promise<string>;
  /** Runs SQL as the superuser in the database of `url` (one `freshUrl` gave). */
  sql(url: string, statements: string): Promise<string>;
};

/**
 * Starts one PostgreSQL server for the calling test file, before its tests, and stops it after
 * them; none where `postgresSkipReason` says PostgreSQL cannot run (skip the suites with it).
 * Call at the top level of the file.
 */
export function postgresForFile(): TestDatabases {
  let server: PostgresTestServer | undefined;
  before(async () => {
    if (postgresSkipReason === undefined) server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });
  const started = () => {
    assert.ok(server, 'the PostgreSQL server');
    return server;
  };
  return {
    freshUrl: () => started().createDatabase(),
    sql: (url, statements) => started().sql(new URL(url).pathname.slice(1), statements),
  };
}

/**
 * A log under a contract suite that checks several replicas: `log` and every log `connect` opens
 * (each its own pool and LISTEN connection on the same database) come from `open`; `cleanup`
 * closes them all.
 */
export async function logReplicas<L extends { close(): Promise<void> }>(
  open: () => Promise<L>,
): Promise<{ log: L; connect: () => Promise<L>; cleanup: () => Promise<void> }> {
  const handles: L[] = [await open()];
  const [log] = handles;
  assert.ok(log);
  return {
    log,
    connect: async () => {
      const handle = await open();
      handles.push(handle);
      return handle;
    },
    cleanup: async () => {
      for (const handle of handles) await handle.close();
    },
  };
}
