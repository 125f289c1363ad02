// Resuming a run's transcript stream, property-tested against the real server: from any
// Last-Event-ID the stream sends exactly the events after it, in order, then ends; a client that
// drops the connection at arbitrary points and resumes from the last id it saw ends up with the
// whole transcript, nothing missing and nothing twice, while the log keeps growing in between.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Run, transcriptEvent } from '@paddock/core';
import { eventually } from '@paddock/testkit';
import fc from 'fast-check';
import { API, startTestServer, type TestServer } from './test-server.ts';

const EVENTS = '/api/v1/namespaces/default/runs/replay/events?watch=true';

/**
 * Reads the stream from `lastEventId`: the ids of its events, until it ends by itself or, when
 * `stopAfter` is given, until that many arrived (then the client hangs up).
 */
async function readStream(
  server: TestServer,
  lastEventId: string | undefined,
  stopAfter?: number,
): Promise<{ ids: number[]; isEnded: boolean }> {
  const abort = new AbortController();
  const res = await server.call(EVENTS, {
    signal: abort.signal,
    headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
  });
  assert.equal(res.status, 200);
  assert.ok(res.body);
  const ids: number[] = [];
  const decoder = new TextDecoder();
  let text = '';
  const reader = res.body.getReader();
  try {
    for (;;) {
      if (stopAfter !== undefined && ids.length >= stopAfter) return { ids, isEnded: false };
      const { value, done } = await reader.read();
      if (done) return { ids, isEnded: true };
      text += decoder.decode(value, { stream: true });
      let end = text.indexOf('\n\n');
      while (end !== -1 && (stopAfter === undefined || ids.length < stopAfter)) {
        const id = /^id: (\d+)$/m.exec(text.slice(0, end));
        if (id) ids.push(Number(id[1]));
        text = text.slice(end + 2);
        end = text.indexOf('\n\n');
      }
    }
  } finally {
    abort.abort();
    await reader.cancel().catch(() => {});
  }
}

const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

describe('run event stream: resume', () => {
  let server: TestServer;
  let uid = '';
  let stored = 0;
  const append = async (count: number) => {
    const at = new Date('2025-01-01T00:00:00Z');
    const events = Array.from({ length: count }, (_, i) =>
      transcriptEvent({ type: 'log', level: 'info', message: `event ${stored + i + 1}` }, at),
    );
    await server.engine.runLog.append(uid, events);
    stored += count;
  };

  before(async () => {
    // Up to ~215 stream requests in a few seconds: past the per-caller rate limit's burst (100),
    // which is not what this test is about.
    server = await startTestServer({ 'rate-limit': '100000', 'rate-burst': '100000' });
    // A run whose agent is missing, written straight into the store: the reconciler fails it at
    // once and never writes its transcript, so the test alone appends to it.
    const run = await server.engine.store.create<Run>({
      apiVersion: API,
      kind: 'Run',
      metadata: { name: 'replay', namespace: 'default' },
      spec: { agentRef: { name: 'nobody' }, prompt: 'hello', mode: 'task' },
    });
    uid = run.metadata.uid ?? '';
    await eventually(
      async () => {
        const current = await server.engine.store.get('Run', {
          namespace: 'default',
          name: 'replay',
        });
        return current.status?.phase === 'Failed';
      },
      { what: 'the run failed' },
    );
    await append(5);
  });

  after(() => server.close());

  it('sends exactly the events after any Last-Event-ID, then ends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 4 }),
        fc.oneof(
          fc.integer({ min: -3, max: 40 }).map(String),
          fc.constantFrom('', 'abc', '1.5', '1e3', '0x2', '-0', ' 2'),
        ),
        async (more, header) => {
          await append(more);
          const { ids, isEnded } = await readStream(server, header);
          assert.ok(isEnded);
          const from = /^\d+$/.test(header.trim()) ? Number(header) + 1 : 1;
          assert.deepEqual(ids, range(from, stored));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a client that hangs up anywhere and resumes gets every event exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ more: fc.nat({ max: 6 }), stopAfter: fc.nat({ max: 8 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        async (steps) => {
          const seen: number[] = [];
          for (const { more, stopAfter } of steps) {
            await append(more);
            const last = seen.at(-1);
            const { ids } = await readStream(server, last?.toString(), stopAfter);
            seen.push(...ids);
          }
          const rest = await readStream(server, seen.at(-1)?.toString());
          assert.ok(rest.isEnded);
          seen.push(...rest.ids);
          assert.deepEqual(seen, range(1, stored));
        },
      ),
      { numRuns: 25 },
    );
  });
});
