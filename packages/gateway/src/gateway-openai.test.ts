import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { eventually } from '@paddock/testkit';
import OpenAI from 'openai';
import { type FixtureOptions, REAL_KEY, startGatewayFixture } from './gateway-fixture.ts';

async function start(t: TestContext, options: FixtureOptions) {
  const fixture = await startGatewayFixture(options);
  t.after(() => fixture.close());
  const token = fixture.token();
  const client = new OpenAI({ apiKey: token, baseURL: `${fixture.url}/openai/v1` });
  return { ...fixture, client, token };
}

const hello: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hi' }];

describe('gateway, OpenAI Chat Completions through the openai SDK', () => {
  it('injects the real key as a bearer token and records usage and cost', async (t) => {
    const g = await start(t, {
      script: [{ text: 'Hello from GPT.', usage: { inputTokens: 400, outputTokens: 100 } }],
    });
    const completion = await g.client.chat.completions.create({ model: 'gpt-4o', messages: hello });
    assert.equal(completion.choices[0]?.message.content, 'Hello from GPT.');
    const [request] = g.llm.requests;
    assert.equal(request?.path, '/v1/chat/completions');
    assert.equal(request?.headers.authorization, `Bearer ${REAL_KEY}`);
    assert.equal(request?.headers['x-api-key'], undefined);
    assert.doesNotMatch(JSON.stringify(request?.headers), /pgt_/);
    const [call] = g.ledger.calls;
    assert.equal(call?.provider, 'openai');
    assert.equal(call?.model, 'gpt-4o');
    assert.equal(call?.inputTokens, 400);
    assert.equal(call?.outputTokens, 100);
    assert.equal(call?.costUsd, (400 * 2.5 + 100 * 10) / 1_000_000);
  });

  it('streams tool calls through and meters the stream by asking for usage', async (t) => {
    const usage = { inputTokens: 30, outputTokens: 20, cacheReadTokens: 10 };
    const g = await start(t, {
      script: [
        {
          text: 'Checking.',
          toolCalls: [{ id: 'call_1', name: 'weather', input: { city: 'Oslo' } }],
          usage,
        },
        { text: 'Done.', usage },
      ],
    });
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'weather', parameters: { type: 'object' } } },
    ];
    const runner = g.client.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: hello,
      tools,
    });
    const completion = await runner.finalChatCompletion();
    const toolCall = completion.choices[0]?.message.tool_calls?.[0];
    assert.equal(toolCall?.type === 'function' && toolCall.function.name, 'weather');
    assert.deepEqual(toolCall?.type === 'function' && JSON.parse(toolCall.function.arguments), {
      city: 'Oslo',
    });
    assert.equal(completion.choices[0]?.message.content, 'Checking.');
    // The caller did not ask for usage: the gateway did, and withheld the extra chunk.
    const sent = g.llm.requests[0]?.body as { stream_options?: { include_usage?: boolean } };
    assert.equal(sent.stream_options?.include_usage, true);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    const stream = await g.client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      stream: true,
    });
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length > 1);
    assert.ok(
      chunks.every((chunk) => chunk.choices.length > 0),
      'a usage-only chunk got through',
    );

    const [first, second] = g.ledger.calls;
    assert.equal(first?.isStream, true);
    assert.equal(first?.inputTokens, 30);
    assert.equal(first?.cacheReadTokens, 10);
    assert.equal(first?.outputTokens, 20);
    assert.equal(first?.costUsd, (30 * 0.15 + 10 * 0.075 + 20 * 0.6) / 1_000_000);
    assert.equal(second?.outputTokens, 20);
  });

  it('keeps the usage chunk for a caller that asked for it', async (t) => {
    const g = await start(t, {
      script: [{ text: 'Hi.', usage: { inputTokens: 5, outputTokens: 2 } }],
    });
    const stream = await g.client.chat.completions.create({
      model: 'gpt-4o',
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    const usages: unknown[] = [];
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    assert.equal(usages.length, 1);
    assert.equal(g.ledger.calls[0]?.inputTokens, 5);
  });

  it('accepts a base URL without /v1 and lists models', async (t) => {
    const g = await start(t, {
      script: [{ text: 'ok', usage: { inputTokens: 1, outputTokens: 1 } }],
    });
    const client = new OpenAI({ apiKey: g.token, baseURL: `${g.url}/openai` });
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: hello });
    assert.equal(completion.choices[0]?.message.content, 'ok');
    const models = await g.client.models.list();
    assert.ok(models.data.some((model) => model.id === 'gpt-4o'));
    assert.equal(g.ledger.calls.length, 1);
  });

  it('passes an upstream 500 through with its status and records it', async (t) => {
    const g = await start(t, { script: [{ error: { status: 500, message: 'upstream broke' } }] });
    const client = new OpenAI({ apiKey: g.token, baseURL: `${g.url}/openai/v1`, maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: hello }),
      (error: unknown) =>
        error instanceof OpenAI.InternalServerError && /upstream broke/.test(error.message),
    );
    assert.equal(g.ledger.calls[0]?.status, 500);
    assert.equal(g.ledger.calls[0]?.error?.message, 'upstream broke');
  });

  it('records a call the client abandons before any answer', async (t) => {
    const g = await start(t, { script: [{ text: 'never', isHanging: true }] });
    const abort = new AbortController();
    const pending = g.client.chat.completions.create(
      { model: 'gpt-4o', messages: hello },
      { signal: abort.signal, maxRetries: 0 },
    );
    await eventually(() => g.llm.requests.length > 0, {
      what: 'the upstream request',
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    abort.abort();
    await assert.rejects(pending);
    const [call] = await g.waitForCalls(1);
    assert.equal(call?.status, 499);
    assert.equal(call?.error?.code, 'client_closed_request');
  });
});

describe('gateway, OpenAI Responses API (what Codex speaks) through the openai SDK', () => {
  it('forwards a streamed response untouched and meters it from response.completed', async (t) => {
    const usage = { inputTokens: 120, outputTokens: 30, cacheReadTokens: 20 };
    const g = await start(t, { script: [{ text: 'Hello from Responses.', usage }] });
    const stream = g.client.responses.stream({ model: 'gpt-4o', input: 'Hi' });
    const response = await stream.finalResponse();
    assert.equal(response.output_text, 'Hello from Responses.');
    const [request] = g.llm.requests;
    assert.equal(request?.path, '/v1/responses');
    assert.equal(request?.headers.authorization, `Bearer ${REAL_KEY}`);
    // Responses streams always report usage: nothing is added to the body.
    assert.equal((request?.body as { stream_options?: unknown }).stream_options, undefined);
    const [call] = g.ledger.calls;
    assert.equal(call?.isStream, true);
    assert.equal(call?.inputTokens, 120);
    assert.equal(call?.outputTokens, 30);
    assert.equal(call?.cacheReadTokens, 20);
    assert.equal(call?.costUsd, (120 * 2.5 + 30 * 10 + 20 * 1.25) / 1_000_000);
  });

  it('meters a non-streamed response', async (t) => {
    const g = await start(t, {
      script: [{ text: 'Once.', usage: { inputTokens: 10, outputTokens: 5 } }],
    });
    const response = await g.client.responses.create({ model: 'gpt-4o', input: 'Hi' });
    assert.equal(response.output_text, 'Once.');
    const [call] = g.ledger.calls;
    assert.equal(call?.isStream, false);
    assert.equal(call?.inputTokens, 10);
    assert.equal(call?.outputTokens, 5);
  });
});
