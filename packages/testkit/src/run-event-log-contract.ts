import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ErrorCode,
  type RunEventLog,
  type StoredTranscriptEvent,
  type TranscriptEvent,
} from '@paddock/core';
import { assertRejectsWith, within } from './store-fixtures.ts';

/**
 * A fresh, empty run event log for one case. `connect`, when the implementation has more than
 * one connection to the same storage (a second handle on the same file, say), opens another
 * handle onto what `log` stores; without it the cases across connections use `log` twice.
 * `log` closes (ending its follows) and `cleanup` closes every handle again and removes what the
 * case made.
 */
export type RunEventLogUnderTest = {
  log: RunEventLog & { close(): Promise<void> };
  connect?(): Promise<RunEventLog>;
  cleanup(): Promise<void>;
};

const T0 = Date.parse('2025-01-01T00:00:00Z');

/** The `n`th event of a test transcript: a `log` line (`line <n>` by default), one second apart. */
export function runEvent(n: number, message = `line ${n}`): TranscriptEvent {
  return { v: 1, ts: new Date(T0 + n * 1000).toISOString(), type: 'log', level: 'info', message };
}

const messages = (events: readonly StoredTranscriptEvent[]) =>
  events.map((e) => (e.type === 'log' ? e.message : e.type));
const seqs = (events: readonly StoredTranscriptEvent[]) => events.map((e) => e.seq);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The RunEventLog contract (see `RunEventLog` in @paddock/core): numbering from 1 without gaps,
 * all-or-nothing batches, the cursor stored with its events, reads paged by `afterSeq`/`limit`,
 * `follow` catching up then waiting for appends (from any connection) until aborted or closed,
 * `remove`.
 */
export function runRunEventLogContract(
  name: string,
  open: () => Promise<RunEventLogUnderTest>,
): void {
  const withLog = (body: (subject: RunEventLogUnderTest) => Promise<void>) => async () => {
    const subject = await open();
    try {
      await body(subject);
    } finally {
      await subject.cleanup();
    }
  };

  describe(`RunEventLog contract: ${name}`, { timeout: 30_000 }, () => {
    it(
      'numbers each run from 1 without gaps across appends, returning the stored events',
      withLog(async ({ log }) => {
        assert.equal(await log.lastSeq('run-a'), 0);
        assert.deepEqual(await log.read('run-a'), []);
        const first = await log.append('run-a', [runEvent(1), runEvent(2)]);
        assert.deepEqual(first, [
          { ...runEvent(1), seq: 1 },
          { ...runEvent(2), seq: 2 },
        ]);
        // Another run has its own numbering; a seq the caller set is replaced by the log's.
        assert.deepEqual(seqs(await log.append('run-b', [{ ...runEvent(9), seq: 42 }])), [1]);
        assert.deepEqual(seqs(await log.append('run-a', [runEvent(3)])), [3]);
        assert.deepEqual(await log.append('run-a', []), []);
        assert.deepEqual(seqs(await log.append('run-a', [runEvent(4), runEvent(5)])), [4, 5]);
        const all = await log.read('run-a');
        assert.deepEqual(seqs(all), [1, 2, 3, 4, 5]);
        assert.deepEqual(messages(all), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
        assert.equal(await log.lastSeq('run-a'), 5);
        assert.equal(await log.lastSeq('run-b'), 1);
      }),
    );

    it(
      'stores every event type unchanged',
      withLog(async ({ log }) => {
        const ts = runEvent(1).ts;
        const usage = { inputTokens: 3, outputTokens: 4, costUsd: 0.5, turns: 1, toolCalls: 1 };
        const events: TranscriptEvent[] = [
          { v: 1, ts, type: 'run.started', harness: 'builtin', model: 'm', mode: 'task' },
          { v: 1, ts, type: 'message.user', text: 'hi "there"\n' },
          { v: 1, ts, type: 'tool.call', id: 't1', name: 'shell', input: { argv: ['ls'] } },
          { v: 1, ts, type: 'tool.result', id: 't1', name: 'shell', output: '', isError: false },
          { v: 1, ts, type: 'log', level: 'warn', message: 'm', raw: { nested: [1, null] } },
          { v: 1, ts, type: 'run.finished', outcome: 'succeeded', result: 'done', usage },
        ];
        await log.append('run', events);
        const stored = await log.read('run');
        assert.deepEqual(
          stored,
          events.map((event, i) => ({ ...event, seq: i + 1 })),
        );
      }),
    );

    it(
      'refuses a batch with one invalid event, naming its index and field, storing nothing',
      withLog(async ({ log }) => {
        await log.append('run', [runEvent(1)], { sourceOffset: 10 });
        const bad = { ...runEvent(3), ts: 'yesterday' };
        await assertRejectsWith(
          log.append('run', [runEvent(2), bad as TranscriptEvent, runEvent(4)], {
            sourceOffset: 99,
          }),
          ErrorCode.ValidationFailed,
          (error) => assert.match(error.message, /events\[1\]\.ts/),
        );
        for (const invalid of [
          { ...runEvent(2), v: 2 },
          { ...runEvent(2), type: 'nonsense' },
          { ...runEvent(2), extra: true },
        ]) {
          await assertRejectsWith(
            log.append('run', [invalid as TranscriptEvent]),
            ErrorCode.ValidationFailed,
            (error) => assert.match(error.message, /events\[0\]/),
          );
        }
        await assertRejectsWith(
          log.append('run', [runEvent(2)], { sourceOffset: -1 }),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(log.append('', [runEvent(2)]), ErrorCode.ValidationFailed);
        assert.deepEqual(seqs(await log.read('run')), [1]);
        assert.deepEqual(await log.cursor('run'), { sourceOffset: 10 });
        assert.deepEqual(seqs(await log.append('run', [runEvent(2)])), [2]);
      }),
    );

    it(
      'stores the cursor with the events it came with',
      withLog(async ({ log, connect }) => {
        assert.deepEqual(await log.cursor('run'), { sourceOffset: 0 });
        await log.append('run', [runEvent(1), runEvent(2)], { sourceOffset: 120 });
        // Appending without a cursor leaves the recorded one alone.
        await log.append('run', [runEvent(3)]);
        const other = connect === undefined ? log : await connect();
        assert.deepEqual(await other.cursor('run'), { sourceOffset: 120 });
        // Input that produced no event (blank lines, say) still moves the cursor.
        assert.deepEqual(await log.append('run', [], { sourceOffset: 130 }), []);
        assert.deepEqual(await other.cursor('run'), { sourceOffset: 130 });
        assert.equal(await other.lastSeq('run'), 3);
        assert.deepEqual(await other.cursor('another-run'), { sourceOffset: 0 });
      }),
    );

    it(
      'reads after a seq, at most limit events, refusing bad options',
      withLog(async ({ log }) => {
        await log.append(
          'run',
          range(1, 7).map((n) => runEvent(n)),
        );
        assert.deepEqual(seqs(await log.read('run', { afterSeq: 4 })), [5, 6, 7]);
        assert.deepEqual(seqs(await log.read('run', { limit: 2 })), [1, 2]);
        assert.deepEqual(seqs(await log.read('run', { afterSeq: 2, limit: 3 })), [3, 4, 5]);
        assert.deepEqual(await log.read('run', { afterSeq: 7 }), []);
        assert.deepEqual(await log.read('run', { afterSeq: 100 }), []);
        for (const options of [{ limit: 0 }, { afterSeq: -1 }, { afterSeq: 1.5 }]) {
          await assertRejectsWith(log.read('run', options), ErrorCode.ValidationFailed);
        }
      }),
    );

    it(
      'gives appends through two connections distinct, contiguous seqs, followed in order from a third',
      withLog(async ({ log, connect }) => {
        const other = connect === undefined ? log : await connect();
        const reader = connect === undefined ? log : await connect();
        const batches = 20;
        const controller = new AbortController();
        const followed: number[] = [];
        const following = (async () => {
          for await (const event of reader.follow('run', 0, controller.signal)) {
            followed.push(event.seq);
            if (followed.length === 4 * batches) controller.abort();
          }
        })();
        const appendAll = (handle: RunEventLog, tag: string) =>
          Promise.all(
            range(1, batches).map((i) =>
              handle.append('run', [runEvent(i, `${tag}${i}a`), runEvent(i, `${tag}${i}b`)]),
            ),
          );
        const [fromA, fromB] = await Promise.all([appendAll(log, 'A'), appendAll(other, 'B')]);
        const returned = [...fromA, ...fromB].flatMap(seqs).sort((x, y) => x - y);
        assert.deepEqual(returned, range(1, 4 * batches));
        // Each batch is contiguous: its two events were numbered in one transaction.
        for (const batch of [...fromA, ...fromB]) {
          const [a, b] = batch;
          assert.ok(a && b && b.seq === a.seq + 1, `batch ${JSON.stringify(seqs(batch))}`);
        }
        const stored = await other.read('run');
        assert.deepEqual(seqs(stored), range(1, 4 * batches));
        const bySeq = new Map([...fromA, ...fromB].flat().map((e) => [e.seq, e]));
        for (const event of stored) assert.deepEqual(event, bySeq.get(event.seq));
        await within(following, 10_000, 'the follower to see every append');
        assert.deepEqual(followed, seqs(stored));
      }),
    );

    it(
      'ends a follow when the log is closed',
      withLog(async ({ log }) => {
        const iterator = log.follow('run', 0, new AbortController().signal)[Symbol.asyncIterator]();
        const pending = within(iterator.next(), 10_000, 'follow to end');
        await log.close();
        assert.equal((await pending).done, true);
      }),
    );

    it(
      'follows: stored events after afterSeq, then appends from another connection, until aborted',
      withLog(async ({ log, connect }) => {
        const writer = connect === undefined ? log : await connect();
        await writer.append('run', [runEvent(1), runEvent(2), runEvent(3)]);
        const controller = new AbortController();
        const iterator = log.follow('run', 1, controller.signal)[Symbol.asyncIterator]();
        const next = async () => {
          const result = await within(iterator.next(), 10_000, 'a followed event');
          assert.equal(result.done, false, 'follow ended while an event was expected');
          return result.value;
        };
        assert.equal((await next()).seq, 2);
        assert.equal((await next()).seq, 3);
        // Waiting now: an append through the other connection wakes it.
        const pending = next();
        await writer.append('run', [runEvent(4), runEvent(5)]);
        await writer.append('other-run', [runEvent(99)]);
        assert.deepEqual(await pending, { ...runEvent(4), seq: 4 });
        assert.equal((await next()).seq, 5);
        const waiting = within(iterator.next(), 10_000, 'follow to end');
        controller.abort();
        assert.equal((await waiting).done, true);
        assert.equal((await iterator.next()).done, true);
      }),
    );

    it(
      'follow with an aborted signal ends at once; follow from 0 on an empty run waits',
      withLog(async ({ log }) => {
        await log.append('run', [runEvent(1)]);
        const aborted = new AbortController();
        aborted.abort();
        const seen: number[] = [];
        for await (const event of log.follow('run', 0, aborted.signal)) seen.push(event.seq);
        assert.deepEqual(seen, []);

        const controller = new AbortController();
        const iterator = log.follow('empty', 0, controller.signal)[Symbol.asyncIterator]();
        const pending = within(iterator.next(), 10_000, 'the first followed event');
        await log.append('empty', [runEvent(7)]);
        const first = await pending;
        assert.equal(first.done, false);
        assert.equal(first.value?.seq, 1);
        controller.abort();
        assert.equal((await within(iterator.next(), 10_000, 'follow to end')).done, true);
      }),
    );

    it(
      'removes a run: its events and cursor go, other runs stay',
      withLog(async ({ log }) => {
        await log.append('run', [runEvent(1), runEvent(2)], { sourceOffset: 50 });
        await log.append('kept', [runEvent(3)], { sourceOffset: 7 });
        await log.remove('run');
        assert.deepEqual(await log.read('run'), []);
        assert.equal(await log.lastSeq('run'), 0);
        assert.deepEqual(await log.cursor('run'), { sourceOffset: 0 });
        assert.deepEqual(messages(await log.read('kept')), ['line 3']);
        assert.deepEqual(await log.cursor('kept'), { sourceOffset: 7 });
        // Removing a run that has nothing is not an error.
        await log.remove('never-existed');
      }),
    );
  });
}
