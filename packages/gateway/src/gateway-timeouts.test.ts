// An upstream that goes silent: before its answer begins, in the middle of a stream, in the middle
// of a JSON answer. The gateway answers in the provider's shape, closes the upstream connection,
// records the call and lets go of its hold, instead of holding the caller and the budget forever.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { costUsd, DEFAULT_PRICE_TABLE, ErrorCode, isPaddockError } from '@paddock/core';
import { closeServer, listen } from '@paddock/http';
import { eventually } from '@paddock/testkit';
import OpenAI from 'openai';
import { createGateway } from './gateway.ts';
import { type FixtureOptions, REAL_KEY, startGatewayFixture } from './gateway-fixture.ts';
import { createMemoryLedger } from './memory-ledger.ts';
import { createRunTokens } from './run-tokens.ts';

const TIMEOUT_MS = 150;
// Without the gateway's timeouts these calls would hang: fail instead.
const HANG_GUARD = { timeout: 5_000 };

async function start(t: TestContext, options: FixtureOptions) {
  const fixture = await startGatewayFixture({
    upstreamHeadersTimeoutMs: TIMEOUT_MS,
    upstreamIdleTimeoutMs: TIMEOUT_MS,
    limits: { runUsd: 1 },
    ...options,
  });
  t.after(() => fixture.close());
  return fixture;
}

/** A hand-written upstream: `answer` gets each request once its body arrived; closes are counted. */
async function startUpstream(
  t: TestContext,
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; closed: () => number }> {
  let closed = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.once('end', () => answer(req, res));
    res.once('close', () => {
      closed += 1;
    });
  });
  const url = await listen(server, 0, '127.0.0.1');
  t.after(async () => {
    server.closeAllConnections();
    await closeServer(server);
  });
  return { url, closed: () => closed };
}

const ask = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Hi' }],
};
const apiKey = async () => REAL_KEY;

describe('gateway upstream timeouts', () => {
  it(
    'answers 504 when the upstream never begins its answer, closes it and holds nothing',
    HANG_GUARD,
    async (t) => {
      const upstream = await startUpstream(t, () => {});
      const g = await start(t, { upstreams: { anthropic: { baseUrl: upstream.url, apiKey } } });
      const client = new Anthropic({
        apiKey: g.token(),
        baseURL: `${g.url}/anthropic`,
        maxRetries: 0,
      });
      await assert.rejects(client.messages.create(ask), (error: unknown) => {
        assert.ok(error instanceof Anthropic.APIError);
        assert.equal(error.status, 504);
        assert.deepEqual(error.error, {
          type: 'error',
          error: {
            type: 'timeout_error',
            message: 'the anthropic upstream did not begin its answer within 0.15 s',
          },
        });
        return true;
      });
      const [call] = await g.waitForCalls(1);
      assert.equal(call?.status, 504);
      assert.equal(call?.error?.code, 'timeout_error');
      assert.equal(call?.costUsd, 0, 'no answer: nothing to charge');
      assert.equal(g.ledger.reservations.size, 0);
      await eventually(() => upstream.closed() === 1, { what: 'the upstream connection closed' });
    },
  );

  it(
    'ends a stream the upstream stops in the middle with an error event, charging it as cut',
    HANG_GUARD,
    async (t) => {
      const g = await start(t, {
        // The scripted model sends message_start, then nothing.
        script: [{ text: 'never', isHanging: true, usage: { inputTokens: 40, outputTokens: 1 } }],
      });
      const client = new Anthropic({
        apiKey: g.token(),
        baseURL: `${g.url}/anthropic`,
        maxRetries: 0,
      });
      const stream = client.messages.stream(ask);
      const events: string[] = [];
      stream.on('streamEvent', (event) => events.push(event.type));
      await assert.rejects(stream.finalMessage(), (error: unknown) => {
        assert.ok(error instanceof Anthropic.APIError, String(error));
        assert.match(error.message, /timeout_error.*sent nothing for 0\.15 s/);
        return true;
      });
      assert.deepEqual(events, ['message_start'], 'what came before the silence was relayed');
      const [call] = await g.waitForCalls(1);
      assert.equal(call?.status, 200);
      assert.equal(call?.isStream, true);
      assert.equal(call?.error?.code, 'upstream_timeout');
      // The input reported, and max_tokens out: what a stream cut before its usage is charged.
      assert.deepEqual([call?.inputTokens, call?.outputTokens], [40, 1024]);
      assert.equal(
        call?.costUsd,
        costUsd(DEFAULT_PRICE_TABLE, ask.model, { inputTokens: 40, outputTokens: 1024 }),
      );
      assert.equal(g.ledger.reservations.size, 0);
    },
  );

  it(
    'ends an OpenAI stream the upstream stops with an error the SDK raises',
    HANG_GUARD,
    async (t) => {
      const upstream = await startUpstream(t, (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o' };
        const delta = { index: 0, delta: { content: 'half' }, finish_reason: null };
        res.write(`data: ${JSON.stringify({ ...chunk, choices: [delta] })}\n\n`);
      });
      const g = await start(t, {
        upstreams: { openai: { baseUrl: `${upstream.url}/v1`, apiKey } },
      });
      const client = new OpenAI({
        apiKey: g.token(),
        baseURL: `${g.url}/openai/v1`,
        maxRetries: 0,
      });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      });
      const seen: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
        })(),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.APIError, String(error));
          assert.match(error.message, /sent nothing for 0\.15 s/);
          return true;
        },
      );
      assert.deepEqual(seen, ['half']);
      const [call] = await g.waitForCalls(1);
      assert.deepEqual(
        [call?.status, call?.error?.code, call?.outputTokens],
        [200, 'upstream_timeout', 100],
      );
      await eventually(() => upstream.closed() === 1, { what: 'the upstream connection closed' });
    },
  );

  it(
    'answers 504 when a JSON answer stops half-way, charging what the call was let through on',
    HANG_GUARD,
    async (t) => {
      const upstream = await startUpstream(t, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id":"msg_1","type":"message","content":[');
      });
      const g = await start(t, { upstreams: { anthropic: { baseUrl: upstream.url, apiKey } } });
      const client = new Anthropic({
        apiKey: g.token(),
        baseURL: `${g.url}/anthropic`,
        maxRetries: 0,
      });
      await assert.rejects(client.messages.create(ask), (error: unknown) => {
        assert.ok(error instanceof Anthropic.APIError);
        assert.equal(error.status, 504);
        assert.match(error.message, /timeout_error.*sent nothing for 0\.15 s/);
        return true;
      });
      const [call] = await g.waitForCalls(1);
      assert.equal(call?.status, 504);
      assert.equal(call?.error?.code, 'upstream_timeout');
      assert.equal(call?.outputTokens, 1024, 'the upstream took the call: it is charged');
      assert.equal(g.ledger.reservations.size, 0);
      await eventually(() => upstream.closed() === 1, { what: 'the upstream connection closed' });
    },
  );

  it('answers 504 on a route it does not meter (model listing)', HANG_GUARD, async (t) => {
    const upstream = await startUpstream(t, () => {});
    const g = await start(t, { upstreams: { openai: { baseUrl: `${upstream.url}/v1`, apiKey } } });
    const client = new OpenAI({ apiKey: g.token(), baseURL: `${g.url}/openai/v1`, maxRetries: 0 });
    await assert.rejects(client.models.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 504);
      assert.equal(error.type, 'timeout_error');
      return true;
    });
  });

  it('refuses timeouts that are not positive whole milliseconds, naming each', () => {
    const options = {
      upstreams: {},
      prices: DEFAULT_PRICE_TABLE,
      tokens: createRunTokens(Buffer.alloc(32, 1)),
      ledger: createMemoryLedger(),
      limitsFor: async () => ({}),
      upstreamHeadersTimeoutMs: 0,
      upstreamIdleTimeoutMs: 1.5,
      budgetWaitMs: -1,
    };
    assert.throws(
      () => createGateway(options),
      (error: unknown) => {
        assert.ok(isPaddockError(error) && error.code === ErrorCode.ValidationFailed);
        for (const field of ['upstreamHeadersTimeoutMs', 'upstreamIdleTimeoutMs', 'budgetWaitMs']) {
          assert.match(error.message, new RegExp(field));
        }
        return true;
      },
    );
  });
});
