import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AuditLog, type AuditQuery, type AuditRecord, ErrorCode } from '@paddock/core';
import { isSettledThisTurn, withoutTimers } from './push-probe.ts';
import { assertRejectsWith, within } from './store-fixtures.ts';

/**
 * A fresh, empty audit log for one case. `connect`, when the implementation has more than one
 * connection to the same storage (another handle on the same file, another replica on the same
 * database), opens another handle onto what `log` stores; without it the case across connections
 * uses `log` twice. `cleanup` closes every handle and removes what the case made.
 */
export type AuditLogUnderTest = {
  log: AuditLog;
  connect?(): Promise<AuditLog>;
  cleanup(): Promise<void>;
};

const T0 = Date.parse('2025-01-01T00:00:00Z');

/** The `n`th audit record of a test timeline: alice created `Sandbox default/box-<n>`, one second apart. */
export function auditRecord(n: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: `a-${n}`,
    time: new Date(T0 + n * 1000).toISOString(),
    requestId: `req-${n}`,
    actor: 'alice',
    action: 'sandbox.create',
    target: { kind: 'Sandbox', namespace: 'default', name: `box-${n}` },
    result: 'success',
    ...overrides,
  };
}

const ids = (items: AuditRecord[]) => items.map((item) => item.id);

/**
 * The AuditLog contract (see `AuditLog` in @paddock/core): records come back unchanged, newest
 * first by time (append order within one instant), filtered, paged with continue tokens without
 * gaps or repeats; `prune` by age; invalid records, duplicate ids, bad queries and forged tokens
 * refused; `follow` pushed within the append's turn, across connections, ended by `close`; records
 * kept across a reopen.
 */
export function runAuditLogContract(name: string, open: () => Promise<AuditLogUnderTest>): void {
  const withLog = (body: (subject: AuditLogUnderTest) => Promise<void>) => async () => {
    const subject = await open();
    try {
      await body(subject);
    } finally {
      await subject.cleanup();
    }
  };

  describe(`AuditLog contract: ${name}`, { timeout: 30_000 }, () => {
    it('keeps appended records across a close and reopen', async (t) => {
      const { log, connect, cleanup } = await open();
      try {
        if (connect === undefined) {
          t.skip('the log keeps nothing past close');
          return;
        }
        await log.append(auditRecord(1));
        await log.append(auditRecord(2, { details: { note: 'durable' } }));
        await log.close();
        const page = await (await connect()).query();
        assert.deepEqual(ids(page.items), ['a-2', 'a-1']);
        assert.deepEqual(page.items[0]?.details, { note: 'durable' });
      } finally {
        await cleanup();
      }
    });

    it(
      'returns appended records newest first, unchanged',
      withLog(async ({ log }) => {
        const full = auditRecord(2, {
          status: 201,
          message: 'created',
          details: { cpu: '1', n: [1, 2] },
        });
        await log.append(auditRecord(1));
        await log.append(full);
        await log.append(auditRecord(3));
        const page = await log.query();
        assert.deepEqual(ids(page.items), ['a-3', 'a-2', 'a-1']);
        assert.deepEqual(page.items[1], full);
        assert.equal(page.continue, undefined);
      }),
    );

    it(
      'orders by time, not by append order, and by append order within one instant',
      withLog(async ({ log }) => {
        await log.append(auditRecord(5));
        await log.append(auditRecord(1));
        await log.append({ ...auditRecord(9), id: 'same-1', time: auditRecord(3).time });
        await log.append({ ...auditRecord(9), id: 'same-2', time: auditRecord(3).time });
        // An offset other than Z is the same instant: ordering uses the instant, not the text.
        await log.append({ ...auditRecord(9), id: 'offset', time: '2025-01-01T01:00:04+01:00' });
        assert.deepEqual(ids((await log.query()).items), [
          'a-5',
          'offset',
          'same-2',
          'same-1',
          'a-1',
        ]);
      }),
    );

    it(
      'filters by actor, action, result, target and time range, combined',
      withLog(async ({ log }) => {
        await log.append(auditRecord(1));
        await log.append(auditRecord(2, { actor: 'bob' }));
        await log.append(auditRecord(3, { action: 'sandbox.exec', result: 'denied', status: 404 }));
        await log.append(
          auditRecord(4, { action: 'auth.failure', actor: 'unknown', target: '/api/v1' }),
        );
        await log.append(auditRecord(5, { result: 'failure' }));
        const q = async (query: AuditQuery) => ids((await log.query(query)).items);
        assert.deepEqual(await q({ actor: 'bob' }), ['a-2']);
        assert.deepEqual(await q({ action: 'sandbox.exec' }), ['a-3']);
        assert.deepEqual(await q({ result: 'failure' }), ['a-5']);
        assert.deepEqual(await q({ target: '/api/v1' }), ['a-4']);
        assert.deepEqual(await q({ target: { name: 'box-2' } }), ['a-2']);
        assert.deepEqual(await q({ target: { kind: 'Sandbox', namespace: 'default' } }), [
          'a-5',
          'a-3',
          'a-2',
          'a-1',
        ]);
        assert.deepEqual(await q({ since: auditRecord(2).time, until: auditRecord(4).time }), [
          'a-3',
          'a-2',
        ]);
        assert.deepEqual(await q({ actor: 'alice', action: 'sandbox.create' }), ['a-5', 'a-1']);
      }),
    );

    it(
      'pages with continue tokens without gaps or repeats, keeping the filters',
      withLog(async ({ log }) => {
        for (let n = 1; n <= 7; n++) {
          await log.append(auditRecord(n, { actor: n % 2 ? 'alice' : 'bob' }));
        }
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await log.query({
            actor: 'alice',
            limit: 2,
            ...(token === undefined ? {} : { continue: token }),
          });
          seen.push(...ids(page.items));
          token = page.continue;
          pages++;
        } while (token !== undefined);
        assert.deepEqual(seen, ['a-7', 'a-5', 'a-3', 'a-1']);
        assert.equal(pages, 2);
      }),
    );

    it(
      'prunes records older than the cutoff and returns how many',
      withLog(async ({ log }) => {
        for (let n = 1; n <= 5; n++) await log.append(auditRecord(n));
        assert.equal(await log.prune(new Date(T0 + 3000)), 2);
        assert.deepEqual(ids((await log.query()).items), ['a-5', 'a-4', 'a-3']);
        assert.equal(await log.prune(new Date(T0 + 3000)), 0);
      }),
    );

    it(
      'refuses invalid records, duplicate ids, bad queries and forged tokens',
      withLog(async ({ log }) => {
        await log.append(auditRecord(1));
        await assertRejectsWith(log.append(auditRecord(1)), ErrorCode.AlreadyExists);
        await assertRejectsWith(
          log.append({ ...auditRecord(2), time: 'yesterday' }),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          log.append({ ...auditRecord(2), result: 'maybe' as 'success' }),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(log.query({ limit: 0 }), ErrorCode.ValidationFailed);
        await assertRejectsWith(
          log.query({ continue: 'bm90LWEtdG9rZW4' }),
          ErrorCode.ValidationFailed,
        );
        assert.deepEqual(ids((await log.query()).items), ['a-1']);
      }),
    );

    it(
      'follows the records appended after the call, each pushed within its commit turn',
      withLog(async ({ log }) => {
        await log.append(auditRecord(1));
        const controller = new AbortController();
        await withoutTimers(async () => {
          const iterator = log.follow(controller.signal)[Symbol.asyncIterator]();
          const pending = iterator.next();
          assert.equal(await isSettledThisTurn(pending), false, 'a-1 came before the follow');
          // Append order, not time order: a record with an early time still comes next.
          await log.append(auditRecord(0, { id: 'early' }));
          assert.equal(await isSettledThisTurn(pending), true, 'woken by the append');
          assert.equal((await pending).value?.id, 'early');
          await log.append(auditRecord(2));
          assert.equal((await iterator.next()).value?.id, 'a-2');
          const ending = iterator.next();
          controller.abort();
          assert.equal((await ending).done, true);
        });
      }),
    );

    it(
      'follows appends of another connection; close ends a follow',
      withLog(async ({ log, connect }) => {
        const other = connect === undefined ? log : await connect();
        const iterator = log.follow(new AbortController().signal)[Symbol.asyncIterator]();
        const pending = iterator.next();
        await other.append(auditRecord(1));
        const first = await within(pending, 10_000, 'a record appended by another connection');
        assert.equal(first.value?.id, 'a-1');
        const waiting = iterator.next();
        await log.close();
        assert.equal((await within(waiting, 10_000, 'close to end the follow')).done, true);
      }),
    );
  });
}
