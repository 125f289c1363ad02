import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  API_VERSION,
  ErrorCode,
  isPaddockError,
  PaddockError,
  type StoredTranscriptEvent,
} from '@paddock/core';
import { createClient } from './index.ts';
import {
  type Recorded,
  type StandIn,
  sendError,
  sendJson,
  startStandIn,
} from './stand-in-server.fixture.ts';

const sseHead = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const ts = '2025-01-01T00:00:00Z';
const usage = { inputTokens: 10, outputTokens: 5, costUsd: 0.01, turns: 1, toolCalls: 0 };

const EVENTS: StoredTranscriptEvent[] = [
  { v: 1, ts, seq: 1, type: 'run.started', harness: 'builtin', model: 'm' },
  { v: 1, ts, seq: 2, type: 'message.user', text: 'hello' },
  { v: 1, ts, seq: 3, type: 'message.delta', text: 'Hi' },
  { v: 1, ts, seq: 4, type: 'message.assistant', text: 'Hi', stopReason: 'end_turn' },
  { v: 1, ts, seq: 5, type: 'run.finished', outcome: 'succeeded', usage },
];
const frame = (event: StoredTranscriptEvent) =>
  `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`;

function run(name: string, phase = 'Running') {
  return {
    apiVersion: API_VERSION,
    kind: 'Run',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1' },
    spec: { agentRef: { name: 'helper' }, prompt: 'hello', mode: 'task' },
    status: { phase, conditions: [] },
  };
}

/** Per run name, what each successive watch connection does. */
type Script = (connection: number, req: Recorded, res: ServerResponse) => void;

describe('runs client against a stand-in server', () => {
  let server: StandIn;
  const watches: Record<string, Recorded[]> = {};
  const pages: Record<string, { items: StoredTranscriptEvent[]; phase: string }> = {
    // The run ended without run.finished after event 2.
    failed: { items: [], phase: 'Failed' },
    cut: { items: [], phase: 'Running' },
  };
  const scripts: Record<string, Script> = {
    // Two events, the second split across writes, then the connection dies mid-stream; the
    // resumed connection repeats event 2 (a server may) before the rest.
    dropped: (connection, _req, res) => {
      if (connection === 1) {
        res.write(frame(EVENTS[0] as StoredTranscriptEvent));
        const second = frame(EVENTS[1] as StoredTranscriptEvent);
        res.write(second.slice(0, 12));
        res.write(second.slice(12));
        res.write(frame(EVENTS[2] as StoredTranscriptEvent).slice(0, 20));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      res.end(EVENTS.slice(1).map(frame).join(''));
    },
    // A clean end before run.finished while the run still runs: resumed, not ended.
    cut: (connection, _req, res) => {
      if (connection === 1) res.end(EVENTS.slice(0, 2).map(frame).join(''));
      else res.end(EVENTS.slice(2).map(frame).join(''));
    },
    failed: (_connection, _req, res) => res.end(EVENTS.slice(0, 2).map(frame).join('')),
  };

  before(async () => {
    server = await startStandIn({
      listRunEvents: (req, res) => {
        const name = req.params.name ?? '';
        if (name === 'missing') {
          sendError(res, new PaddockError(ErrorCode.NotFound, 'run "missing" not found'));
          return;
        }
        if (req.url.searchParams.get('watch') === 'true') {
          const seen = watches[name] ?? [];
          watches[name] = seen;
          seen.push(req);
          res.writeHead(200, sseHead);
          scripts[name]?.(seen.length, req, res);
          return;
        }
        const afterSeq = Number(req.url.searchParams.get('afterSeq') ?? 0);
        const page = pages[name] ?? { items: EVENTS, phase: 'Succeeded' };
        sendJson(res, 200, { ...page, items: page.items.filter((e) => e.seq > afterSeq) });
      },
      sendRunMessage: (req, res) => {
        const body = JSON.parse(req.body.toString()) as { text: string };
        sendJson(res, 202, { accepted: true, id: `msg-${body.text.length}` });
      },
      cancelRun: (req, res) => sendJson(res, 200, run(req.params.name ?? '', 'Cancelled')),
      createRun: (req, res) => {
        const body = JSON.parse(req.body.toString()) as { metadata: { generateName: string } };
        sendJson(res, 201, run(`${body.metadata.generateName}x7k2p`));
      },
    });
  });
  after(() => server.close());
  const client = () =>
    createClient({
      baseUrl: server.baseUrl,
      token: 't',
      reconnect: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 3 },
    });

  async function collect(name: string, afterSeq?: number): Promise<number[]> {
    const seqs: number[] = [];
    const options = afterSeq === undefined ? {} : { afterSeq };
    for await (const event of client().runs.follow(name, options)) seqs.push(event.seq);
    return seqs;
  }

  it('follow resumes after a drop with Last-Event-ID and repeats no event', async () => {
    assert.deepEqual(await collect('dropped'), [1, 2, 3, 4, 5]);
    const [first, second] = watches.dropped ?? [];
    assert.equal(watches.dropped?.length, 2);
    assert.equal(first?.url.pathname, '/api/v1/namespaces/default/runs/dropped/events');
    assert.equal(first?.headers['last-event-id'], undefined);
    assert.equal(first?.headers.accept, 'text/event-stream');
    assert.equal(second?.headers['last-event-id'], '2');
    assert.equal(second?.url.searchParams.get('afterSeq'), '2');
  });

  it('follow starts after afterSeq', async () => {
    watches.dropped = [];
    const seqs = await collect('dropped', 0);
    assert.deepEqual(seqs, [1, 2, 3, 4, 5]);
    assert.equal(watches.dropped?.[0]?.url.searchParams.get('afterSeq'), '0');
  });

  it('follow reopens a stream that ended early while the run is still running', async () => {
    assert.deepEqual(await collect('cut'), [1, 2, 3, 4, 5]);
    assert.equal(watches.cut?.length, 2);
    assert.equal(watches.cut?.[1]?.headers['last-event-id'], '2');
  });

  it('follow ends when the run is over without run.finished', async () => {
    assert.deepEqual(await collect('failed'), [1, 2]);
    assert.equal(watches.failed?.length, 1);
  });

  it('follow of an unknown run fails with not_found', async () => {
    await assert.rejects(collect('missing'), (error) => {
      assert.ok(isPaddockError(error));
      assert.equal(error.code, 'not_found');
      return true;
    });
  });

  it('events reads a page; send and cancel reach their routes; start names the run', async () => {
    const runs = client().runs;
    const page = await runs.events('done', { afterSeq: 3, limit: 10 });
    assert.deepEqual(
      page.items.map((e) => e.seq),
      [4, 5],
    );
    assert.equal(page.phase, 'Succeeded');
    assert.deepEqual(await runs.send('chat', 'next please'), { id: 'msg-11' });
    const posted = server.requests.find((r) => r.url.pathname.endsWith('/chat/messages'));
    assert.equal(posted?.method, 'POST');
    assert.deepEqual(JSON.parse(posted?.body.toString() ?? ''), { text: 'next please' });
    assert.equal((await runs.cancel('chat')).status?.phase, 'Cancelled');
    const started = await runs.start({ agent: 'helper', prompt: 'hello' });
    assert.equal(started.metadata.name, 'helper-x7k2p');
    const created = server.requests.find(
      (r) => r.method === 'POST' && r.url.pathname.endsWith('/runs'),
    );
    assert.deepEqual(JSON.parse(created?.body.toString() ?? ''), {
      apiVersion: API_VERSION,
      kind: 'Run',
      metadata: { generateName: 'helper-' },
      spec: { agentRef: { name: 'helper' }, prompt: 'hello' },
    });
  });
});
