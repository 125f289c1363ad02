// `events?watch=true` of a sandbox over real HTTP: events are pushed by the event log as they
// are recorded (no timer in between), a resume from Last-Event-ID sends exactly the missing
// suffix, and a client that goes away leaves nothing behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseSse, type SseMessage } from '@paddock/client';
import type { RecordedEvent } from '@paddock/core';
import { SqliteEventLog } from '@paddock/store-sqlite';
import { bwrapSkipReason, eventually, withoutTimers } from '@paddock/testkit';
import { createRunningSandbox, startTestServer, type TestServer } from './test-server.ts';

const NAME = 'pushed';
const PATH = `/api/v1/namespaces/default/sandboxes/${NAME}/events?watch=true`;

/** An open event stream, read one message at a time. */
type Stream = { next(): Promise<SseMessage>; close(): void };

describe('sandbox event stream', { skip: bwrapSkipReason(), timeout: 120_000 }, () => {
  let s: TestServer;
  let uid = '';

  before(async () => {
    s = await startTestServer();
    await createRunningSandbox(s, NAME);
    const sandbox = await s.engine.store.get('Sandbox', { namespace: 'default', name: NAME });
    uid = sandbox.metadata.uid ?? '';
  });

  after(async () => {
    await s?.close();
  });

  const probe = (reason: string) =>
    s.engine.events.record({
      kind: 'Sandbox',
      namespace: 'default',
      name: NAME,
      uid,
      type: 'Normal',
      reason,
      message: `probe ${reason}`,
      timestamp: new Date().toISOString(),
    });

  const stored = async (afterSeq = 0): Promise<RecordedEvent[]> => {
    const filter = { kind: 'Sandbox', namespace: 'default', name: NAME, uid };
    return (await s.engine.events.query({ ...filter, limit: 1000, continue: afterSeq })).items;
  };

  const open = async (headers: Record<string, string> = {}): Promise<Stream> => {
    const abort = new AbortController();
    const res = await s.call(PATH, { signal: abort.signal, headers });
    assert.equal(res.status, 200);
    assert.ok(res.body);
    const messages = parseSse(res.body)[Symbol.asyncIterator]();
    return {
      next: async () => {
        const result = await messages.next();
        assert.equal(result.done, false, 'the stream ended while an event was expected');
        return result.value as SseMessage;
      },
      close: () => abort.abort(),
    };
  };

  it('pushes an event recorded while the stream waits, with no timer running', async () => {
    const already = await stored();
    await withoutTimers(async () => {
      // With setTimeout and setInterval frozen, a stream that slept between reads of the log
      // would never see the probe: only the log's own wake-up can deliver it.
      const stream = await open();
      try {
        for (const event of already) assert.equal((await stream.next()).id, String(event.seq));
        await probe('WhileWaiting');
        let message: SseMessage;
        do message = await stream.next();
        while (JSON.parse(message.data).reason !== 'WhileWaiting');
        const last = (await stored()).at(-1);
        assert.equal(message.id, String(last?.seq));
      } finally {
        stream.close();
      }
    });
  });

  it('resumes after Last-Event-ID with exactly the events after it', async () => {
    await probe('First');
    const [seen] = (await stored()).slice(-1);
    assert.ok(seen);
    await probe('Second');
    await probe('Third');
    const missing = await stored(seen.seq);
    const stream = await open({ 'last-event-id': String(seen.seq) });
    try {
      const ids: string[] = [];
      for (const _ of missing) ids.push((await stream.next()).id ?? '');
      assert.deepEqual(
        ids,
        missing.map((e) => String(e.seq)),
      );
      // Then live: the next record is the next message, nothing repeated before it.
      await probe('Fourth');
      assert.equal(JSON.parse((await stream.next()).data).reason, 'Fourth');
    } finally {
      stream.close();
    }
  });

  it('leaves no follower behind when the client goes away', async () => {
    const { events } = s.engine;
    assert.ok(events instanceof SqliteEventLog);
    await eventually(() => events.followers === 0, { what: 'earlier streams to end' });
    const stream = await open();
    await probe('BeforeLeaving');
    let message: SseMessage;
    do message = await stream.next();
    while (JSON.parse(message.data).reason !== 'BeforeLeaving');
    assert.equal(events.followers, 1);
    stream.close();
    await eventually(() => events.followers === 0, { what: 'the stream to stop following' });
  });
});
