import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { eventually } from '../eventually.ts';
import { within } from '../store-fixtures.ts';
import type { ScriptedLlm } from './script.ts';
import { startScriptedLlm } from './server.ts';

const streamBody = JSON.stringify({
  model: 'claude-sonnet-4-6',
  max_tokens: 256,
  stream: true,
  messages: [{ role: 'user', content: 'hi' }],
});

async function openStream(llm: ScriptedLlm, signal?: AbortSignal) {
  const response = await fetch(`${llm.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: streamBody,
    ...(signal === undefined ? {} : { signal }),
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.ok(response.body);
  return response.body.pipeThrough(new TextDecoderStream()).getReader();
}

/** Reads until the stream ends or breaks; returns what arrived. */
async function drain(reader: ReadableStreamDefaultReader<string>): Promise<string> {
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += value;
    }
  } catch {
    return text;
  }
}

describe('scripted LLM streams', () => {
  it('hangs after the first event until the client goes away', async (t) => {
    const llm = await startScriptedLlm({ script: [{ text: 'never sent', isHanging: true }] });
    t.after(() => llm.close());
    const abort = new AbortController();
    const reader = await openStream(llm, abort.signal);
    const first = await reader.read();
    assert.match(first.value ?? '', /^event: message_start\n/);
    assert.doesNotMatch(first.value ?? '', /never/);
    abort.abort();
    await assert.rejects(reader.read());
    await llm.close();
  });

  it('ends hanging streams and hanging plain requests on close()', async () => {
    const llm = await startScriptedLlm({
      script: [
        { text: 'never sent', isHanging: true },
        { text: 'never sent either', isHanging: true },
      ],
    });
    const reader = await openStream(llm);
    const first = await reader.read();
    assert.match(first.value ?? '', /message_start/);
    const client = new OpenAI({ apiKey: 'k', baseURL: `${llm.url}/v1`, maxRetries: 0 });
    const plain = client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error) => error);
    await eventually(() => llm.requests.length === 2, {
      what: 'the plain request',
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    await within(llm.close(), 10_000, 'close() with open requests');
    const rest = await drain(reader);
    assert.doesNotMatch(rest, /message_stop|never/);
    assert.ok((await plain) instanceof OpenAI.APIConnectionError);
  });

  it('delivers a delayed stream whole, and stops it when the client aborts', async (t) => {
    const text = 'one two three four five six seven eight nine ten';
    const llm = await startScriptedLlm({
      script: [
        { text, chunkDelayMs: 1 },
        { text, chunkDelayMs: 50 },
      ],
    });
    t.after(() => llm.close());
    const client = new Anthropic({ apiKey: 'k', baseURL: llm.url, maxRetries: 0 });
    const request = {
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      messages: [{ role: 'user' as const, content: 'count' }],
    };
    const whole = await client.messages.stream(request).finalMessage();
    assert.equal(whole.content[0]?.type === 'text' && whole.content[0].text, text);

    const stream = client.messages.stream(request);
    const deltas: string[] = [];
    stream.on('text', (delta) => {
      deltas.push(delta);
      stream.abort();
    });
    await assert.rejects(stream.finalMessage(), Anthropic.APIUserAbortError);
    assert.deepEqual(deltas, ['one ']);
  });

  it('ends an OpenAI stream with [DONE] after the finish chunk', async (t) => {
    const llm = await startScriptedLlm({ script: [{ text: 'done soon' }] });
    t.after(() => llm.close());
    const response = await fetch(`${llm.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const frames = (await response.text()).split('\n\n').filter((frame) => frame !== '');
    assert.ok(frames.every((frame) => frame.startsWith('data: ')));
    assert.equal(frames.at(-1), 'data: [DONE]');
    const last = JSON.parse(frames.at(-2)?.slice('data: '.length) ?? '{}');
    assert.equal(last.choices[0].finish_reason, 'stop');
    assert.equal('usage' in last, false);
  });
});
