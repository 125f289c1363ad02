import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { ScriptedLlmOptions } from './script.ts';
import { startScriptedLlm } from './server.ts';

async function start(t: TestContext, options: ScriptedLlmOptions) {
  const llm = await startScriptedLlm(options);
  t.after(() => llm.close());
  const client = new Anthropic({ apiKey: 'sk-test', baseURL: llm.url, maxRetries: 0 });
  return { llm, client };
}

const ask = { model: 'claude-sonnet-4-6', max_tokens: 1024 } as const;
const weatherTools = [
  { name: 'weather', description: 'Weather in a city', input_schema: { type: 'object' as const } },
];

describe('scripted LLM, Anthropic Messages API', () => {
  it('answers text without streaming and records the request', async (t) => {
    const { llm, client } = await start(t, { script: [{ text: 'Hello there, human.' }] });
    const message = await client.messages.create({
      ...ask,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.match(message.id, /^msg_/);
    assert.equal(message.model, 'claude-sonnet-4-6');
    assert.deepEqual(
      message.content.map((block) => block.type === 'text' && block.text),
      ['Hello there, human.'],
    );
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(llm.requests.length, 1);
    const [request] = llm.requests;
    assert.equal(request?.api, 'anthropic');
    assert.equal(request?.path, '/v1/messages');
    assert.equal(request?.isStream, false);
    assert.equal(request?.model, 'claude-sonnet-4-6');
    const key = request?.headers['x-api-key'] ?? request?.headers.authorization;
    assert.match(key ?? '', /^(Bearer )?sk-test$/);
    assert.ok(request?.headers['anthropic-version']);
    assert.deepEqual(request?.body, { ...ask, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(llm.remaining(), 0);
  });

  it('streams text in several deltas that add up to the scripted text', async (t) => {
    const text = 'Streaming works one word at a time.';
    const { llm, client } = await start(t, { script: [{ text }] });
    const stream = client.messages.stream({ ...ask, messages: [{ role: 'user', content: 'Hi' }] });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    assert.ok(deltas.length > 1, `expected several deltas, got ${deltas.length}`);
    assert.equal(deltas.join(''), text);
    assert.deepEqual(
      message.content.map((block) => block.type === 'text' && block.text),
      [text],
    );
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(llm.requests[0]?.isStream, true);
  });

  it('plays a parallel tool call round trip with streamed tool inputs', async (t) => {
    const { llm, client } = await start(t, {
      script: [
        {
          text: 'Checking both.',
          toolCalls: [
            { id: 'toolu_paris', name: 'weather', input: { city: 'Paris', days: [1, 2] } },
            { name: 'weather', input: { city: 'Oslo', units: { temp: 'C' } } },
          ],
        },
        { text: 'Sunny in Paris, snow in Oslo.' },
      ],
    });
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather?' }];
    const first = await client.messages
      .stream({ ...ask, tools: weatherTools, messages })
      .finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    const uses = first.content.filter((block) => block.type === 'tool_use');
    assert.deepEqual(
      uses.map((use) => use.input),
      [
        { city: 'Paris', days: [1, 2] },
        { city: 'Oslo', units: { temp: 'C' } },
      ],
    );
    assert.equal(uses[0]?.id, 'toolu_paris');
    assert.match(uses[1]?.id ?? '', /^toolu_/);
    messages.push({ role: 'assistant', content: first.content });
    messages.push({
      role: 'user',
      content: uses.map((use) => ({ type: 'tool_result', tool_use_id: use.id, content: 'ok' })),
    });
    const second = await client.messages.create({ ...ask, tools: weatherTools, messages });
    assert.deepEqual(
      second.content.map((block) => block.type === 'text' && block.text),
      ['Sunny in Paris, snow in Oslo.'],
    );
    assert.equal(llm.requests.length, 2);
    assert.match(JSON.stringify(llm.requests[1]?.body), /"tool_use_id":"toolu_paris"/);
  });

  it('returns thinking blocks with a signature, streamed or not', async (t) => {
    const turn = { thinking: 'Let me think about it.', text: 'Forty-two.' };
    const { client } = await start(t, { script: [turn, turn] });
    const request = { ...ask, messages: [{ role: 'user' as const, content: 'Answer?' }] };
    for (const message of [
      await client.messages.create(request),
      await client.messages.stream(request).finalMessage(),
    ]) {
      const [thinking, text] = message.content;
      assert.equal(thinking?.type, 'thinking');
      assert.equal(thinking?.type === 'thinking' && thinking.thinking, 'Let me think about it.');
      assert.ok(thinking?.type === 'thinking' && thinking.signature.length > 0);
      assert.equal(text?.type === 'text' && text.text, 'Forty-two.');
    }
  });

  it('reports usage as scripted, streamed or not, and estimates it otherwise', async (t) => {
    const usage = { inputTokens: 120, outputTokens: 34, cacheReadTokens: 56 };
    const { client } = await start(t, {
      script: [{ text: 'a', usage }, { text: 'b', usage }, { text: 'c' }],
    });
    const request = { ...ask, messages: [{ role: 'user' as const, content: 'Count' }] };
    for (const message of [
      await client.messages.create(request),
      await client.messages.stream(request).finalMessage(),
    ]) {
      assert.equal(message.usage.input_tokens, 120);
      assert.equal(message.usage.output_tokens, 34);
      assert.equal(message.usage.cache_read_input_tokens, 56);
    }
    const estimated = await client.messages.create(request);
    assert.ok(estimated.usage.input_tokens > 0);
    assert.ok(estimated.usage.output_tokens > 0);
    assert.equal(estimated.usage.cache_read_input_tokens, 0);
  });

  it('maps stop reasons and answers count_tokens and the models list without a turn', async (t) => {
    const { llm, client } = await start(t, { script: [{ text: 'cut', stopReason: 'max_tokens' }] });
    const tokens = await client.messages.countTokens({
      model: ask.model,
      messages: [{ role: 'user', content: 'How many tokens is this?' }],
    });
    assert.ok(tokens.input_tokens > 0);
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    assert.ok(models.length > 0);
    assert.equal(llm.requests.length, 0);
    const message = await client.messages.create({
      ...ask,
      messages: [{ role: 'user', content: 'Long answer please' }],
    });
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(llm.requests.length, 1);
  });

  it('rejects a request without max_tokens the way the real API does', async (t) => {
    const { llm } = await start(t, { script: [{ text: 'unused' }] });
    const response = await fetch(`${llm.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: ask.model, messages: [] }),
    });
    assert.equal(response.status, 400);
    const body = z
      .object({
        type: z.literal('error'),
        error: z.object({ type: z.string(), message: z.string() }),
      })
      .parse(await response.json());
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /max_tokens/);
    assert.equal(llm.requests.length, 0);
    assert.equal(llm.remaining(), 1);
  });
});
