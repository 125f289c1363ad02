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

const weatherTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'weather',
  parameters: { type: 'object' },
  strict: false,
};

describe('scripted LLM, OpenAI Responses API', () => {
  it('answers text without streaming, with usage as scripted', async (t) => {
    const { llm, client } = await start(t, {
      script: [{ text: 'Hi from Codex land.', usage: { inputTokens: 9, outputTokens: 4 } }],
    });
    const response = await client.responses.create({ model: 'gpt-5-codex', input: 'Hi' });
    assert.match(response.id, /^resp_/);
    assert.equal(response.status, 'completed');
    assert.equal(response.output_text, 'Hi from Codex land.');
    assert.equal(response.usage?.input_tokens, 9);
    assert.equal(response.usage?.output_tokens, 4);
    assert.equal(response.usage?.total_tokens, 13);
    assert.equal(llm.requests[0]?.path, '/v1/responses');
    assert.equal(llm.requests[0]?.api, 'openai');
  });

  it('streams reasoning, text and parallel function calls that the SDK assembles', async (t) => {
    const { llm, client } = await start(t, {
      script: [
        {
          thinking: 'Two cities, two calls.',
          text: 'Checking.',
          toolCalls: [
            { id: 'call_paris', name: 'weather', input: { city: 'Paris', days: [1, 2] } },
            { name: 'weather', input: { city: 'Oslo' } },
          ],
          usage: { inputTokens: 30, outputTokens: 12, cacheReadTokens: 10 },
        },
        { text: 'Sunny and snowy.' },
      ],
    });
    const stream = client.responses.stream({
      model: 'gpt-5-codex',
      input: 'Weather?',
      tools: [weatherTool],
    });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const first = await stream.finalResponse();
    assert.ok(deltas.length > 0);
    assert.equal(deltas.join(''), 'Checking.');
    assert.deepEqual(
      first.output.map((item) => item.type),
      ['reasoning', 'message', 'function_call', 'function_call'],
    );
    const reasoning = first.output[0];
    assert.equal(
      reasoning?.type === 'reasoning' && reasoning.summary[0]?.text,
      'Two cities, two calls.',
    );
    const calls = first.output.filter((item) => item.type === 'function_call');
    assert.deepEqual(
      calls.map((call) => [
        call.call_id.startsWith('call_'),
        call.name,
        JSON.parse(call.arguments),
      ]),
      [
        [true, 'weather', { city: 'Paris', days: [1, 2] }],
        [true, 'weather', { city: 'Oslo' }],
      ],
    );
    assert.equal(calls[0]?.call_id, 'call_paris');
    assert.equal(first.usage?.input_tokens, 40);
    assert.equal(first.usage?.input_tokens_details.cached_tokens, 10);

    const second = await client.responses
      .stream({
        model: 'gpt-5-codex',
        tools: [weatherTool],
        input: [
          { role: 'user', content: 'Weather?' },
          ...calls,
          ...calls.map((call) => ({
            type: 'function_call_output' as const,
            call_id: call.call_id,
            output: 'ok',
          })),
        ],
      })
      .finalResponse();
    assert.equal(second.output_text, 'Sunny and snowy.');
    assert.equal(llm.requests.length, 2);
    assert.equal(llm.requests[1]?.isStream, true);
    assert.match(JSON.stringify(llm.requests[1]?.body), /"call_id":"call_paris","output":"ok"/);
  });

  it('reports a max_tokens stop as an incomplete response', async (t) => {
    const { client } = await start(t, { script: [{ text: 'cut sho', stopReason: 'max_tokens' }] });
    const events: string[] = [];
    const stream = client.responses.stream({ model: 'gpt-5-codex', input: 'Long please' });
    stream.on('event', (event) => events.push(event.type));
    const response = await stream.finalResponse();
    assert.equal(events.at(-1), 'response.incomplete');
    assert.equal(response.status, 'incomplete');
    assert.equal(response.incomplete_details?.reason, 'max_output_tokens');
    assert.equal(response.output_text, 'cut sho');
  });

  it('calls a freeform (custom) tool with its raw input, streamed and not', async (t) => {
    const patch = '*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch\n';
    const { llm, client } = await start(t, {
      script: [
        { toolCalls: [{ id: 'call_patch', name: 'apply_patch', input: patch }] },
        { toolCalls: [{ name: 'apply_patch', input: patch }] },
      ],
    });
    const tools: OpenAI.Responses.Tool[] = [{ type: 'custom', name: 'apply_patch' }];
    const deltas: string[] = [];
    const stream = client.responses.stream({ model: 'gpt-5.5', input: 'Patch', tools });
    stream.on('response.custom_tool_call_input.delta', (event) => deltas.push(event.delta));
    const streamed = await stream.finalResponse();
    assert.ok(deltas.length > 1);
    assert.equal(deltas.join(''), patch);
    assert.deepEqual(
      streamed.output.map((item) => item.type === 'custom_tool_call' && [item.call_id, item.input]),
      [['call_patch', patch]],
    );
    const whole = await client.responses.create({ model: 'gpt-5.5', input: 'Patch', tools });
    const item = whole.output[0];
    assert.equal(item?.type, 'custom_tool_call');
    assert.equal(item?.type === 'custom_tool_call' && item.input, patch);
    assert.equal(llm.requests.length, 2);
  });
});
