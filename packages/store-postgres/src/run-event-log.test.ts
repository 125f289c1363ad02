import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
  postgresSkipReason,
  runEvent,
  runRunEventLogContract,
  within,
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

  it('numbers appends of three replicas without gaps, each batch contiguous, followed by a fourth', async () => {
    const url = await freshUrl();
    const replicas = await Promise.all([1, 2, 3].map(() => openPostgresRunEventLog({ url })));
    const reader = await openPostgresRunEventLog({ url });
    try {
      const controller = new AbortController();
      const followed: number[] = [];
      const following = (async () => {
        for await (const event of reader.follow('run', 0, controller.signal)) {
          followed.push(event.seq);
          if (followed.length === 3 * 2 * 40) controller.abort();
        }
      })();
      await Promise.all(
        replicas.map(async (replica, r) => {
          for (let i = 0; i < 40; i++) {
            await replica.append('run', [runEvent(i, `${r}-${i}a`), runEvent(i, `${r}-${i}b`)], {
              sourceOffset: i,
            });
          }
        }),
      );
      const stored = await reader.read('run');
      assert.deepEqual(
        stored.map((e) => e.seq),
        Array.from({ length: 240 }, (_, i) => i + 1),
      );
      for (let i = 0; i < stored.length; i += 2) {
        const [a, b] = [stored[i], stored[i + 1]];
        assert.ok(a?.type === 'log' && b?.type === 'log');
        assert.equal(b.message, a.message.replace(/a$/, 'b'), `events ${i + 1} and ${i + 2}`);
      }
      await within(following, 10_000, 'the follower to see every append');
      assert.deepEqual(
        followed,
        stored.map((e) => e.seq),
      );
    } finally {
      for (const replica of [...replicas, reader]) await replica.close();
    }
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

  it('ends a follow when the log is closed', async () => {
    const log = await openPostgresRunEventLog({ url: await freshUrl() });
    const iterator = log.follow('run', 0, new AbortController().signal)[Symbol.asyncIterator]();
    const pending = within(iterator.next(), 10_000, 'follow to end');
    await log.close();
    assert.equal((await pending).done, true);
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
