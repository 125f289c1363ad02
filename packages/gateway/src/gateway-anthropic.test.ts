import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import Anthropic from '@anthropic-ai/sdk';
import { costUsd, DEFAULT_PRICE_TABLE } from '@paddock/core';
import { closeServer, listen } from '@paddock/http';
import { type FixtureOptions, GRANT, REAL_KEY, startGatewayFixture } from './gateway-fixture.ts';
import { CLIENT_CLOSED_STATUS, COST_HEADER } from './relay.ts';

async function start(t: TestContext, options: FixtureOptions) {
  const fixture = await startGatewayFixture(options);
  t.after(() => fixture.close());
  const token = fixture.token();
  const client = new Anthropic({ apiKey: token, baseURL: `${fixture.url}/anthropic` });
  return { ...fixture, client, token };
}

const ask = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Hi' }],
};

const usage = { inputTokens: 1200, outputTokens: 300, cacheReadTokens: 1000 };

describe('gateway, Anthropic Messages API through @anthropic-ai/sdk', () => {
  it('injects the real key, never forwards the run token, records usage and cost', async (t) => {
    const g = await start(t, { script: [{ text: 'Hello from upstream.', usage }] });
    const { data: message, response } = await g.client.messages.create(ask).withResponse();
    assert.deepEqual(
      message.content.map((block) => block.type === 'text' && block.text),
      ['Hello from upstream.'],
    );
    const [request] = g.llm.requests;
    assert.equal(request?.headers['x-api-key'], REAL_KEY);
    assert.equal(request?.headers.authorization, undefined);
    assert.ok(request?.headers['anthropic-version']);
    assert.doesNotMatch(JSON.stringify(request?.headers), /pgt_/);
    assert.deepEqual(request?.body, ask);
    for (const [, value] of response.headers) assert.doesNotMatch(value, /sk-real/);

    const expected = costUsd(DEFAULT_PRICE_TABLE, ask.model, {
      inputTokens: 1200,
      outputTokens: 300,
      cacheReadTokens: 1000,
    });
    assert.equal(response.headers.get(COST_HEADER), expected.toFixed(6));
    const [call] = g.ledger.calls;
    assert.equal(call?.runUid, 'run-uid-1');
    assert.equal(call?.user, 'alice');
    assert.equal(call?.namespace, 'default');
    assert.equal(call?.agent, 'coder');
    assert.equal(call?.provider, 'anthropic');
    assert.equal(call?.model, ask.model);
    assert.equal(call?.status, 200);
    assert.equal(call?.isStream, false);
    assert.equal(call?.inputTokens, 1200);
    assert.equal(call?.outputTokens, 300);
    assert.equal(call?.cacheReadTokens, 1000);
    assert.ok(Math.abs((call?.costUsd ?? 0) - expected) < 1e-12);
    assert.deepEqual(g.calls, g.ledger.calls);
    const totals = await g.ledger.totals({ runUid: 'run-uid-1' });
    assert.equal(totals.calls, 1);
  });

  it('streams text and tool calls through, metering the stream', async (t) => {
    const g = await start(t, {
      script: [
        {
          text: 'Let me check the weather.',
          toolCalls: [{ id: 'toolu_1', name: 'weather', input: { city: 'Paris' } }],
          usage: { inputTokens: 50, outputTokens: 40 },
        },
      ],
    });
    const stream = g.client.messages.stream({
      ...ask,
      tools: [{ name: 'weather', input_schema: { type: 'object' } }],
    });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    assert.ok(deltas.length > 1, `expected several deltas, got ${deltas.length}`);
    assert.equal(deltas.join(''), 'Let me check the weather.');
    const tool = message.content.find((block) => block.type === 'tool_use');
    assert.deepEqual(tool?.type === 'tool_use' && tool.input, { city: 'Paris' });
    assert.equal(g.llm.requests[0]?.headers['x-api-key'], REAL_KEY);
    const [call] = g.ledger.calls;
    assert.equal(call?.isStream, true);
    assert.equal(call?.status, 200);
    assert.equal(call?.inputTokens, 50);
    assert.equal(call?.outputTokens, 40);
    assert.equal(call?.costUsd, (50 * 3 + 40 * 15) / 1_000_000);
  });

  it('passes an upstream 429 through; the SDK retries and both calls are recorded', async (t) => {
    const g = await start(t, {
      script: [
        { error: { status: 429, message: 'slow down', retryAfterSeconds: 0.01 } },
        { text: 'Second time lucky.', usage: { inputTokens: 10, outputTokens: 5 } },
      ],
    });
    const message = await g.client.messages.create(ask);
    assert.equal(
      message.content[0]?.type === 'text' && message.content[0].text,
      'Second time lucky.',
    );
    assert.deepEqual(
      g.ledger.calls.map((call) => [call.status, call.error?.code]),
      [
        [429, 'rate_limit_error'],
        [200, undefined],
      ],
    );
    assert.equal(g.ledger.calls[0]?.error?.message, 'slow down');

    const noRetry = new Anthropic({
      apiKey: g.token,
      baseURL: `${g.url}/anthropic`,
      maxRetries: 0,
    });
    g.llm.push({ error: { status: 429, message: 'still slow' } });
    await assert.rejects(noRetry.messages.create(ask), (error: unknown) => {
      assert.ok(error instanceof Anthropic.RateLimitError);
      assert.match(error.message, /still slow/);
      return true;
    });
  });

  it('records a stream the client abandons, with the tokens seen so far', async (t) => {
    const g = await start(t, {
      script: [
        { text: 'word '.repeat(50), isHanging: true, usage: { inputTokens: 77, outputTokens: 9 } },
      ],
    });
    const stream = g.client.messages.stream(ask);
    // The upstream sends message_start (with the input tokens), then hangs.
    await new Promise<void>((resolve) => stream.once('streamEvent', () => resolve()));
    stream.abort();
    await assert.rejects(stream.finalMessage());
    const [call] = await g.waitForCalls(1);
    assert.ok(call);
    assert.equal(call.status, CLIENT_CLOSED_STATUS);
    assert.equal(call.error?.code, 'client_closed_request');
    assert.equal(call.inputTokens, 77);
    assert.equal(call.isStream, true);
    assert.ok(call.costUsd > 0);
  });

  it("counts a run's calls in flight until each is recorded, telling subscribers", async (t) => {
    const g = await start(t, { script: [{ text: 'word '.repeat(50), isHanging: true }] });
    const { gateway } = g;
    // [calls in flight, calls recorded] at each notification.
    const seen: Array<[number, number]> = [];
    const off = gateway.subscribe(() =>
      seen.push([gateway.callsInFlight(GRANT.runUid), g.calls.length]),
    );
    t.after(off);
    const stream = g.client.messages.stream(ask);
    await new Promise<void>((resolve) => stream.once('streamEvent', () => resolve()));
    assert.equal(gateway.callsInFlight(GRANT.runUid), 1);
    assert.equal(gateway.callsInFlight('another-run'), 0);
    stream.abort();
    await assert.rejects(stream.finalMessage());
    await g.waitForCalls(1);
    await new Promise<void>((resolve) =>
      seen.length >= 2 ? resolve() : gateway.subscribe(resolve),
    );
    // Out of flight only once recorded: a stream that waits for it misses no event.
    assert.deepEqual(seen, [
      [1, 0],
      [0, 1],
    ]);
  });

  it('forwards count_tokens and model listing without metering them', async (t) => {
    const g = await start(t, {});
    const counted = await g.client.messages.countTokens(ask);
    assert.ok(counted.input_tokens > 0);
    const models = await g.client.models.list();
    assert.ok(models.data.some((model) => model.id.startsWith('claude-')));
    assert.equal(g.ledger.calls.length, 0);
  });

  it('asks the upstream for no compression, and decodes an answer compressed anyway', async (t) => {
    const seen: IncomingHttpHeaders[] = [];
    const message = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: ask.model,
      content: [{ type: 'text', text: 'Squeezed.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 7, output_tokens: 3 },
    };
    const upstream = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(JSON.stringify(message)));
      });
    });
    const upstreamUrl = await listen(upstream, 0, '127.0.0.1');
    t.after(() => closeServer(upstream));
    const apiKey = async () => REAL_KEY;
    const g = await start(t, { upstreams: { anthropic: { baseUrl: upstreamUrl, apiKey } } });
    const answer = await g.client.messages.create(ask);
    assert.deepEqual(answer.content, message.content);
    assert.equal(seen[0]?.['accept-encoding'], undefined);
    assert.equal(g.ledger.calls[0]?.inputTokens, 7);
    assert.equal(g.ledger.calls[0]?.outputTokens, 3);
  });
});
