import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import {
  assertRejectsWith,
  postgresSkipReason,
  resourceEvent,
  runEventLogContract,
  within,
} from '@paddock/testkit';
import { openPostgresEventLog } from './index.ts';
import { logReplicas, postgresForFile } from './test-database.ts';

const { freshUrl, sql } = postgresForFile();

describe('PostgreSQL event log', { skip: postgresSkipReason }, () => {
  // `connect` opens another replica: its own pool and LISTEN connection on the same database.
  runEventLogContract('postgres', async () => {
    const url = await freshUrl();
    return logReplicas(() => openPostgresEventLog({ url }));
  });

  it('keeps the newest maxEventsPerObject events of each object, others untouched', async () => {
    const log = await openPostgresEventLog({ url: await freshUrl(), maxEventsPerObject: 3 });
    try {
      for (let n = 1; n <= 6; n++) await log.record(resourceEvent(n));
      await log.record(resourceEvent(7, { name: 'other' }));
      await log.record(resourceEvent(8, { namespace: 'team' }));
      const of = async (query: Parameters<typeof log.query>[0]) =>
        (await log.query(query)).items.map((e) => e.reason);
      assert.deepEqual(await of({ kind: 'Sandbox', namespace: 'default', name: 'box' }), [
        'Step4',
        'Step5',
        'Step6',
      ]);
      assert.deepEqual(await of({ name: 'other' }), ['Step7']);
      assert.deepEqual(await of({ namespace: 'team' }), ['Step8']);
    } finally {
      await log.close();
    }
  });

  it('wakes a follower on another replica at the commit (LISTEN/NOTIFY), without polling', async () => {
    const url = await freshUrl();
    const reader = await openPostgresEventLog({ url });
    const writer = await openPostgresEventLog({ url });
    try {
      const iterator = reader.follow({}, new AbortController().signal)[Symbol.asyncIterator]();
      const pending = iterator.next();
      await writer.record(resourceEvent(1));
      const first = await within(pending, 10_000, 'an event recorded by another replica');
      assert.equal(first.value?.reason, 'Step1');
      const waiting = iterator.next();
      await reader.close();
      assert.equal((await within(waiting, 10_000, 'close to end the follow')).done, true);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('reports a corrupt row as internal instead of returning it', async () => {
    const url = await freshUrl();
    const log = await openPostgresEventLog({ url });
    try {
      await log.record(resourceEvent(1));
      await sql(url, `UPDATE events SET json = '{"kind":"Sandbox"}'`);
      await assertRejectsWith(log.query(), ErrorCode.Internal);
    } finally {
      await log.close();
    }
  });

  it('refuses bad options, listing each problem', async () => {
    await assertRejectsWith(
      openPostgresEventLog({ url: 'mysql://x', maxEventsPerObject: 0 }),
      ErrorCode.ValidationFailed,
      (error) => assert.match(error.message, /url.*maxEventsPerObject/),
    );
  });

  it('is runtime_unavailable when the server cannot be reached', async () => {
    await assertRejectsWith(
      openPostgresEventLog({ url: 'postgres://paddock@127.0.0.1:1/none', connectTimeoutMs: 2_000 }),
      ErrorCode.RuntimeUnavailable,
    );
  });
});
