import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
  postgresSkipReason,
  runEvent,
  runRunEventLogContract,
} from '@paddock/testkit';
import { openPostgresRunEventLog } from './index.ts';
import { logReplicas, postgresForFile } from './test-database.ts';

const { freshUrl, sql } = postgresForFile();

describe('PostgreSQL run event log', { skip: postgresSkipReason, timeout: 60_000 }, () => {
  // `connect` opens another replica: its own pool and LISTEN connection on the same database.
  runRunEventLogContract('postgres', async () => {
    const url = await freshUrl();
    return logReplicas(() => openPostgresRunEventLog({ url }));
  });

  it('rolls back the events and the cursor together when the transaction fails', async () => {
    const url = await freshUrl();
    const log = await openPostgresRunEventLog({ url });
    try {
      await log.append('run', [runEvent(1)], { sourceOffset: 5 });
      await sql(
        url,
        `CREATE FUNCTION fail_third() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN IF NEW.seq = 3 THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER fail_third BEFORE INSERT ON run_events FOR EACH ROW EXECUTE FUNCTION fail_third();`,
      );
      await assertRejectsWith(
        log.append('run', [runEvent(2), runEvent(3)], { sourceOffset: 50 }),
        ErrorCode.Internal,
      );
      assert.deepEqual(
        (await log.read('run')).map((e) => e.seq),
        [1],
      );
      assert.deepEqual(await log.cursor('run'), { sourceOffset: 5 });
      assert.equal(await log.lastSeq('run'), 1);
    } finally {
      await log.close();
    }
  });

  it('reports a corrupt row as internal instead of returning it', async () => {
    const url = await freshUrl();
    const log = await openPostgresRunEventLog({ url });
    try {
      await log.append('run', [runEvent(1)]);
      await sql(url, `UPDATE run_events SET json = '{"type":"log"}'`);
      await assertRejectsWith(log.read('run'), ErrorCode.Internal);
    } finally {
      await log.close();
    }
  });
});
