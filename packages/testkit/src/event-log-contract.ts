import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ErrorCode,
  type EventLog,
  type EventQuery,
  type RecordedEvent,
  type ResourceEvent,
} from '@paddock/core';
import { isSettledThisTurn, withoutTimers } from './push-probe.ts';
import { assertRejectsWith, within } from './store-fixtures.ts';

/** An event log that keeps its events in storage (a file, a database): pruned by age, closed. */
type DurableEventLog = EventLog & {
  prune(olderThan: Date): Promise<number>;
  close(): Promise<void>;
};

/**
 * A fresh, empty event log for one case. `connect`, when the log keeps its events past `close`,
 * opens another handle onto what `log` stores; without it the case across a reopen is skipped.
 * `cleanup` closes every handle and removes what the case made.
 */
export type EventLogUnderTest = {
  log: EventLog;
  connect?(): Promise<DurableEventLog>;
  cleanup(): Promise<void>;
};

const T0 = Date.parse('2025-01-01T00:00:00Z');

/** The `n`th event of a test timeline: one second apart, about `Sandbox default/<name>`. */
export function resourceEvent(n: number, overrides: Partial<ResourceEvent> = {}): ResourceEvent {
  return {
    kind: 'Sandbox',
    namespace: 'default',
    name: 'box',
    uid: 'uid-1',
    type: 'Normal',
    reason: `Step${n}`,
    message: `step ${n}`,
    timestamp: new Date(T0 + n * 1000).toISOString(),
    ...overrides,
  };
}

const reasons = (page: { items: ResourceEvent[] }) => page.items.map((e) => e.reason);

/**
 * The EventLog contract (see `EventLog` in @paddock/core): recorded events come back unchanged in
 * `seq` order, filtered, paged with `continue` without gaps or repeats, in both orders; invalid
 * events and queries are `validation_failed`; a follower is woken by an in-process `record`
 * within the same turn, with no timer; a durable log keeps its events and its `seq` across a
 * reopen. Retention is each implementation's own test.
 */
export function runEventLogContract(name: string, open: () => Promise<EventLogUnderTest>): void {
  const withLog = (body: (log: EventLog) => Promise<void>) => async () => {
    const subject = await open();
    try {
      await body(subject.log);
    } finally {
      await subject.cleanup();
    }
  };

  describe(`EventLog contract: ${name}`, () => {
    it('keeps events across close and reopen, and never reuses a seq', async (t) => {
      const { connect, cleanup } = await open();
      try {
        if (connect === undefined) {
          t.skip('the log keeps nothing past close');
          return;
        }
        const first = await connect();
        await first.record(resourceEvent(1));
        await first.record(resourceEvent(2));
        const last = (await first.query()).items.at(-1)?.seq ?? 0;
        await first.close();
        const reopened = await connect();
        assert.deepEqual(reasons(await reopened.query()), ['Step1', 'Step2']);
        // Even with every row pruned, the next event continues the sequence, so a watcher that
        // resumes after `last` sees it.
        assert.equal(await reopened.prune(new Date('2030-01-01T00:00:00Z')), 2);
        await reopened.record(resourceEvent(3));
        const page = await reopened.query({ continue: last });
        assert.deepEqual(reasons(page), ['Step3']);
        assert.equal(page.items[0]?.seq, last + 1);
      } finally {
        await cleanup();
      }
    });

    it(
      'returns recorded events unchanged, oldest first, with increasing seq',
      withLog(async (log) => {
        const full = resourceEvent(2, { type: 'Warning', message: 'a\nmulti-line "message"' });
        await log.record(resourceEvent(1));
        await log.record(full);
        // Recording order wins over timestamps: a late event with an early time comes last.
        await log.record(resourceEvent(0, { reason: 'Late' }));
        const page = await log.query();
        assert.deepEqual(reasons(page), ['Step1', 'Step2', 'Late']);
        const [a, b, c] = page.items;
        assert.ok(a && b && c && a.seq < b.seq && b.seq < c.seq);
        const { seq: _, ...rest } = b;
        assert.deepEqual(rest, full);
        assert.equal(page.continue, undefined);
      }),
    );

    it(
      'filters by kind, namespace, name, uid and since, combined',
      withLog(async (log) => {
        await log.record(resourceEvent(1));
        await log.record(resourceEvent(2, { name: 'other', reason: 'Other' }));
        await log.record(resourceEvent(3, { namespace: 'team', reason: 'Team' }));
        await log.record(resourceEvent(4, { uid: 'uid-2', reason: 'Again' }));
        await log.record(
          resourceEvent(5, { kind: 'SandboxTemplate', uid: undefined, reason: 'Pool' }),
        );
        await log.record(
          resourceEvent(6, { kind: 'ClusterSandboxTemplate', namespace: undefined, reason: 'C' }),
        );
        const q = async (query: EventQuery) => reasons(await log.query(query));
        assert.deepEqual(await q({ kind: 'Sandbox', namespace: 'default', name: 'box' }), [
          'Step1',
          'Again',
        ]);
        assert.deepEqual(await q({ name: 'box', uid: 'uid-1' }), ['Step1', 'Team', 'C']);
        assert.deepEqual(await q({ kind: 'SandboxTemplate' }), ['Pool']);
        assert.deepEqual(await q({ uid: 'uid-2' }), ['Again']);
        assert.deepEqual(await q({ namespace: 'team' }), ['Team']);
        assert.deepEqual(await q({ kind: 'ClusterSandboxTemplate' }), ['C']);
        const since = resourceEvent(4).timestamp;
        assert.deepEqual(await q({ since }), ['Again', 'Pool', 'C']);
        assert.deepEqual(await q({ since, kind: 'Sandbox' }), ['Again']);
        const cluster = (await log.query({ kind: 'ClusterSandboxTemplate' })).items[0];
        assert.equal(cluster?.namespace, undefined);
      }),
    );

    it(
      'pages both ways with continue, without gaps or repeats, keeping the filters',
      withLog(async (log) => {
        for (let n = 1; n <= 7; n++) {
          await log.record(resourceEvent(n, { name: n % 2 === 1 ? 'box' : 'other' }));
        }
        for (const order of ['oldest-first', 'newest-first'] as const) {
          const seen: string[] = [];
          let token: number | undefined;
          let pages = 0;
          do {
            const page = await log.query({
              name: 'box',
              order,
              limit: 2,
              ...(token === undefined ? {} : { continue: token }),
            });
            seen.push(...reasons(page));
            token = page.continue;
            pages++;
          } while (token !== undefined);
          const expected = ['Step1', 'Step3', 'Step5', 'Step7'];
          assert.deepEqual(seen, order === 'oldest-first' ? expected : expected.reverse());
          assert.equal(pages, 2);
        }
      }),
    );

    it(
      'resumes after a seen seq: only events recorded later come back',
      withLog(async (log) => {
        await log.record(resourceEvent(1));
        const first = await log.query();
        const last = first.items.at(-1);
        assert.ok(last);
        assert.deepEqual(reasons(await log.query({ continue: last.seq })), []);
        await log.record(resourceEvent(2));
        assert.deepEqual(reasons(await log.query({ continue: last.seq })), ['Step2']);
      }),
    );

    it(
      'follows: matching events after continue, then each record, pushed within its turn',
      withLog(async (log) => {
        await log.record(resourceEvent(1));
        await log.record(resourceEvent(2, { name: 'other' }));
        await log.record(resourceEvent(3));
        const first = (await log.query()).items[0];
        assert.ok(first);
        const controller = new AbortController();
        await withoutTimers(async () => {
          const iterator = log
            .follow({ name: 'box', continue: first.seq }, controller.signal)
            [Symbol.asyncIterator]();
          const next = async (): Promise<RecordedEvent> => {
            const result = await iterator.next();
            assert.equal(result.done, false, 'follow ended while an event was expected');
            return result.value as RecordedEvent;
          };
          assert.equal((await next()).reason, 'Step3');
          // Waiting now: a record wakes the follower before the event loop turns, no timer needed.
          const pending = next();
          assert.equal(await isSettledThisTurn(pending), false, 'nothing new yet');
          await log.record(resourceEvent(4, { name: 'other' }));
          await log.record(resourceEvent(5));
          assert.equal(await isSettledThisTurn(pending), true, 'woken by the record');
          assert.equal((await pending).reason, 'Step5');
          const ending = iterator.next();
          controller.abort();
          assert.equal((await ending).done, true);
          assert.equal((await iterator.next()).done, true);
        });
      }),
    );

    it(
      'follow with an aborted signal ends at once; a newest-first follow is validation_failed',
      withLog(async (log) => {
        await log.record(resourceEvent(1));
        const aborted = new AbortController();
        aborted.abort();
        const seen: string[] = [];
        for await (const event of log.follow({}, aborted.signal)) seen.push(event.reason);
        assert.deepEqual(seen, []);
        const live = new AbortController();
        const backwards = log.follow({ order: 'newest-first' }, live.signal);
        await assertRejectsWith(
          within(backwards[Symbol.asyncIterator]().next(), 10_000, 'a refused follow'),
          ErrorCode.ValidationFailed,
          (error) =>
            assert.deepEqual(error.details.issues, [
              { path: 'order', message: 'must be oldest-first' },
            ]),
        );
        live.abort();
      }),
    );

    it(
      'refuses invalid events and queries with validation_failed, keeping nothing',
      withLog(async (log) => {
        const bad: unknown[] = [
          { ...resourceEvent(1), timestamp: 'yesterday' },
          { ...resourceEvent(1), type: 'Fatal' },
          { ...resourceEvent(1), kind: '' },
          { ...resourceEvent(1), extra: true },
        ];
        for (const event of bad) {
          await assertRejectsWith(
            (async () => log.record(event as ResourceEvent))(),
            ErrorCode.ValidationFailed,
          );
        }
        assert.deepEqual((await log.query()).items, []);
        for (const query of [{ limit: 0 }, { limit: 1001 }, { since: 'now' }, { continue: -1 }]) {
          await assertRejectsWith(log.query(query), ErrorCode.ValidationFailed);
        }
      }),
    );
  });
}
