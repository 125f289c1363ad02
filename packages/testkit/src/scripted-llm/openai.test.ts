import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import OpenAI from 'openai';
import type { ScriptedLlmOptions } from './script.ts';
import { startScriptedLlm } from './server.ts';

async function start(t: TestContext, options: ScriptedLlmOptions) {
  const llm = await startScriptedLlm(options);
  t.after(() => llm.close());
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${llm.url}/v1`, maxRetries: 0 });
  return { llm, client };
}

const hello: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hi' }];
const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'weather', parameters: { type: 'object' } },
};

describe('scripted LLM, OpenAI Chat Completions API', () => {
  it('answers text without streaming and records the request', async (t) => {
    const { llm, client } = await start(t, { script: [{ text: 'Hello from GPT.' }] });
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: hello });
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, 'gpt-4o');
    assert.equal(completion.choices[0]?.message.content, 'Hello from GPT.');
    assert.equal(completion.choices[0]?.message.tool_calls, undefined);
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    const [request] = llm.requests;
    assert.equal(request?.api, 'openai');
    assert.equal(request?.path, '/v1/chat/completions');
    assert.equal(request?.isStream, false);
    assert.equal(request?.headers.authorization, 'Bearer sk-test');
  });

  it('streams content chunks, with a usage chunk only when include_usage asks', async (t) => {
    const text = 'Chunks arrive one word at a time.';
    const usage = { inputTokens: 11, outputTokens: 7 };
    const { llm, client } = await start(t, {
      script: [
        { text, usage },
        { text, usage },
      ],
    });
    for (const isUsageIncluded of [true, false]) {
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages: hello,
        stream: true,
        ...(isUsageIncluded ? { stream_options: { include_usage: true } } : {}),
      });
      const contents: string[] = [];
      const usages: unknown[] = [];
      const finishReasons: string[] = [];
      for await (const chunk of stream) {
        assert.equal(chunk.object, 'chat.completion.chunk');
        const [choice] = chunk.choices;
        if (choice?.delta.content) contents.push(choice.delta.content);
        if (choice?.finish_reason) finishReasons.push(choice.finish_reason);
        if (chunk.usage) {
          assert.equal(chunk.choices.length, 0);
          usages.push(chunk.usage);
        }
      }
      assert.ok(contents.length > 1, `expected several content chunks, got ${contents.length}`);
      assert.equal(contents.join(''), text);
      assert.deepEqual(finishReasons, ['stop']);
      if (isUsageIncluded) {
        assert.equal(usages.length, 1);
        assert.deepEqual(
          { ...(usages[0] as OpenAI.CompletionUsage) },
          {
            prompt_tokens: 11,
            completion_tokens: 7,
            total_tokens: 18,
            prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
            completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
          },
        );
      } else {
        assert.equal(usages.length, 0);
      }
    }
    assert.deepEqual(
      llm.requests.map((request) => request.isStream),
      [true, true],
    );
  });

  it('plays a parallel tool call round trip with streamed arguments', async (t) => {
    const { llm, client } = await start(t, {
      script: [
        {
          toolCalls: [
            { id: 'call_paris', name: 'weather', input: { city: 'Paris', days: [1, 2] } },
            { name: 'weather', input: { city: 'Oslo', units: { temp: 'C' } } },
          ],
        },
        { text: 'Sunny in Paris, snow in Oslo.' },
      ],
    });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather?' }];
    const first = await client.chat.completions
      .stream({ model: 'gpt-4o', messages, tools: [weatherTool] })
      .finalChatCompletion();
    const choice = first.choices[0];
    assert.equal(choice?.finish_reason, 'tool_calls');
    const calls = (choice?.message.tool_calls ?? []).filter((call) => call.type === 'function');
    assert.deepEqual(
      calls.map((call) => [call.function.name, JSON.parse(call.function.arguments)]),
      [
        ['weather', { city: 'Paris', days: [1, 2] }],
        ['weather', { city: 'Oslo', units: { temp: 'C' } }],
      ],
    );
    assert.equal(calls[0]?.id, 'call_paris');
    assert.match(calls[1]?.id ?? '', /^call_/);
    messages.push({ role: 'assistant', content: null, tool_calls: calls });
    for (const call of calls) messages.push({ role: 'tool', tool_call_id: call.id, content: 'ok' });
    const second = await client.chat.completions.create({ model: 'gpt-4o', messages });
    assert.equal(second.choices[0]?.message.content, 'Sunny in Paris, snow in Oslo.');
    assert.equal(llm.requests.length, 2);
    assert.match(JSON.stringify(llm.requests[1]?.body), /"tool_call_id":"call_paris"/);
  });

  it('returns tool calls without streaming, and counts cache reads inside prompt_tokens', async (t) => {
    const { client } = await start(t, {
      script: [
        {
          text: 'One moment.',
          toolCalls: [{ name: 'weather', input: { city: 'Rome' } }],
          usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 50 },
        },
      ],
    });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: hello,
      tools: [weatherTool],
    });
    const message = completion.choices[0]?.message;
    assert.equal(message?.content, 'One moment.');
    const call = message?.tool_calls?.[0];
    assert.equal(call?.type === 'function' && call.function.arguments, '{"city":"Rome"}');
    assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(completion.usage?.prompt_tokens, 150);
    assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 50);
    assert.equal(completion.usage?.completion_tokens, 20);
    assert.equal(completion.usage?.total_tokens, 170);
  });

  it('maps max_tokens to length and lists models without using a turn', async (t) => {
    const { llm, client } = await start(t, {
      script: [{ text: 'cut', stopReason: 'max_tokens' }],
      models: ['my-model'],
    });
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    assert.deepEqual(models, ['my-model']);
    assert.equal(llm.requests.length, 0);
    const completion = await client.chat.completions.create({ model: 'my-model', messages: hello });
    assert.equal(completion.choices[0]?.finish_reason, 'length');
  });
});
