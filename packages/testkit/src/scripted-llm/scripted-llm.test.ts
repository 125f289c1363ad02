import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { uploadInPieces } from '@paddock/http';
import OpenAI from 'openai';
import { z } from 'zod';
import type { RecordedRequest, ScriptedLlmOptions, ScriptedTurn } from './script.ts';
import { startScriptedLlm } from './server.ts';

async function start(t: TestContext, options: ScriptedLlmOptions, maxRetries = 0) {
  const llm = await startScriptedLlm(options);
  t.after(() => llm.close());
  const key = options.requireKey ?? 'sk-test';
  const anthropic = new Anthropic({ apiKey: key, baseURL: llm.url, maxRetries });
  const openai = new OpenAI({ apiKey: key, baseURL: `${llm.url}/v1`, maxRetries });
  return { llm, anthropic, openai };
}

const model = 'claude-sonnet-4-6';
const askClaude = (content: string) => ({
  model,
  max_tokens: 256,
  messages: [{ role: 'user' as const, content }],
});
const askGpt = (content: string) => ({
  model: 'gpt-4o',
  messages: [{ role: 'user' as const, content }],
});

const ErrorBody = z.object({ error: z.object({ type: z.string(), message: z.string() }) });

async function errorOf(response: Response) {
  return ErrorBody.parse(await response.json()).error;
}

function postJson(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('scripted LLM server', () => {
  it('lets the SDKs retry a 429 and succeed on the next turn', async (t) => {
    const rateLimited: ScriptedTurn = { error: { status: 429, retryAfterSeconds: 0 } };
    const { llm, anthropic, openai } = await start(
      t,
      { script: [rateLimited, { text: 'claude ok' }, rateLimited, { text: 'gpt ok' }] },
      2,
    );
    const message = await anthropic.messages.create(askClaude('hi'));
    assert.equal(message.content[0]?.type === 'text' && message.content[0].text, 'claude ok');
    const completion = await openai.chat.completions.create(askGpt('hi'));
    assert.equal(completion.choices[0]?.message.content, 'gpt ok');
    assert.equal(llm.requests.length, 4);
    assert.deepEqual(
      llm.requests.map((request) => request.headers['x-stainless-retry-count']),
      ['0', '1', '0', '1'],
    );
  });

  it('answers scripted errors in each provider shape with retry-after', async (t) => {
    const { llm, anthropic, openai } = await start(t, {
      script: [
        { error: { status: 529, message: 'busy' } },
        { error: { status: 429, message: 'slow down', retryAfterSeconds: 7 } },
      ],
    });
    const overloaded = await anthropic.messages.create(askClaude('hi')).catch((error) => error);
    assert.ok(overloaded instanceof Anthropic.APIError);
    assert.equal(overloaded.status, 529);
    assert.deepEqual(overloaded.error, {
      type: 'error',
      error: { type: 'overloaded_error', message: 'busy' },
    });
    const limited = await openai.chat.completions.create(askGpt('hi')).catch((error) => error);
    assert.ok(limited instanceof OpenAI.RateLimitError);
    assert.equal(limited.headers.get('retry-after'), '7');
    assert.equal(limited.code, 'rate_limit_exceeded');
    assert.match(limited.message, /slow down/);
    assert.equal(llm.requests.length, 2);
  });

  it('answers 401 without the required key and does not use a turn', async (t) => {
    const { llm, openai } = await start(t, {
      script: [{ text: 'a' }, { text: 'b' }],
      requireKey: 'sk-right',
    });
    const wrongClaude = new Anthropic({ apiKey: 'sk-wrong', baseURL: llm.url, maxRetries: 0 });
    const wrongGpt = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${llm.url}/v1`, maxRetries: 0 });
    const claudeError = await wrongClaude.messages.create(askClaude('hi')).catch((e) => e);
    assert.ok(claudeError instanceof Anthropic.AuthenticationError);
    assert.equal(claudeError.status, 401);
    const gptError = await wrongGpt.chat.completions.create(askGpt('hi')).catch((e) => e);
    assert.ok(gptError instanceof OpenAI.AuthenticationError);
    assert.equal(gptError.code, 'invalid_api_key');
    const viaHeader = await postJson(`${llm.url}/v1/messages`, JSON.stringify(askClaude('hi')), {
      'x-api-key': 'sk-right',
    });
    assert.equal(viaHeader.status, 200);
    assert.equal(llm.requests.length, 1);
    const completion = await openai.chat.completions.create(askGpt('hi'));
    assert.equal(completion.choices[0]?.message.content, 'b');
    assert.equal(llm.remaining(), 0);
  });

  it('fails clearly, without retries, when the script has no turn left', async (t) => {
    const { llm, anthropic, openai } = await start(t, { script: [{ text: 'only one' }] }, 2);
    await anthropic.messages.create(askClaude('first'));
    const claudeError = await anthropic.messages.create(askClaude('second')).catch((e) => e);
    assert.ok(claudeError instanceof Anthropic.InternalServerError);
    assert.match(claudeError.message, /scripted LLM: no turn left for request #2/);
    const gptError = await openai.chat.completions
      .create({ ...askGpt('third'), stream: true })
      .catch((e) => e);
    assert.ok(gptError instanceof OpenAI.InternalServerError);
    assert.match(gptError.message, /scripted LLM: no turn left for request #3/);
    assert.equal(llm.requests.length, 3);
  });

  it('lets a function script choose the turn from the request', async (t) => {
    const seen: number[] = [];
    const echo = (request: RecordedRequest, index: number): ScriptedTurn => {
      seen.push(index);
      const body = request.body as { messages: { content: string }[] };
      return { text: `${request.api} echoes: ${body.messages.at(-1)?.content}` };
    };
    const { llm, anthropic, openai } = await start(t, { script: echo });
    const message = await anthropic.messages.stream(askClaude('ping')).finalMessage();
    assert.equal(
      message.content[0]?.type === 'text' && message.content[0].text,
      'anthropic echoes: ping',
    );
    const completion = await openai.chat.completions.create(askGpt('pong'));
    assert.equal(completion.choices[0]?.message.content, 'openai echoes: pong');
    assert.deepEqual(seen, [0, 1]);
    assert.equal(llm.remaining(), Number.POSITIVE_INFINITY);
    assert.throws(
      () => llm.push({ text: 'x' }),
      (error) => isPaddockError(error, ErrorCode.ValidationFailed),
    );
  });

  it('answers 500 without retries when a function script throws', async (t) => {
    const { llm, anthropic } = await start(
      t,
      {
        script: () => {
          throw new Error('unexpected prompt');
        },
      },
      2,
    );
    const error = await anthropic.messages.create(askClaude('hi')).catch((e) => e);
    assert.ok(error instanceof Anthropic.InternalServerError);
    assert.match(error.message, /scripted LLM: unexpected prompt/);
    assert.equal(llm.requests.length, 1);
  });

  it('describes one model in the shape of the asking API', async (t) => {
    const { llm, anthropic, openai } = await start(t, { script: [] });
    const claude = await anthropic.models.retrieve('claude-haiku-4-5');
    assert.deepEqual([claude.type, claude.id], ['model', 'claude-haiku-4-5']);
    const gpt = await openai.models.retrieve('gpt-4o');
    assert.deepEqual([gpt.object, gpt.id], ['model', 'gpt-4o']);
    assert.equal(llm.requests.length, 0);
  });

  it('plays turns pushed after start, in order', async (t) => {
    const { llm, openai } = await start(t, { script: [] });
    llm.push({ text: 'one' }, { text: 'two' });
    assert.equal(llm.remaining(), 2);
    const answers = [];
    for (const prompt of ['a', 'b']) {
      const completion = await openai.chat.completions.create(askGpt(prompt));
      answers.push(completion.choices[0]?.message.content);
    }
    assert.deepEqual(answers, ['one', 'two']);
    assert.equal(llm.remaining(), 0);
  });

  it('answers malformed JSON with 400 and unknown paths with 404, in the provider shape', async (t) => {
    const { llm } = await start(t, { script: [{ text: 'unused' }] });
    const badClaude = await postJson(`${llm.url}/v1/messages`, '{"model":');
    assert.equal(badClaude.status, 400);
    assert.equal((await errorOf(badClaude)).type, 'invalid_request_error');
    const badGpt = await postJson(`${llm.url}/v1/chat/completions`, 'not json');
    assert.equal(badGpt.status, 400);
    assert.equal((await errorOf(badGpt)).type, 'invalid_request_error');
    const missing = await postJson(`${llm.url}/v1/embeddings`, '{}');
    assert.equal(missing.status, 404);
    assert.match((await errorOf(missing)).message, /no route for POST \/v1\/embeddings/);
    const missingClaude = await fetch(`${llm.url}/v1/files`, {
      headers: { 'anthropic-version': '2023-06-01' },
    });
    assert.equal(missingClaude.status, 404);
    assert.equal((await errorOf(missingClaude)).type, 'not_found_error');
    const wrongMethod = await fetch(`${llm.url}/v1/messages`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(llm.requests.length, 0);
    assert.equal(llm.remaining(), 1);
  });

  it('answers a body past 32 MiB with 413 in the provider shape, before or without reading it', async (t) => {
    const { llm } = await start(t, { script: [{ text: 'unused' }], requireKey: 'sk-test' });
    const sizeBytes = 33 * 1024 * 1024;
    const claude = await uploadInPieces(`${llm.url}/v1/messages`, {
      headers: { 'x-api-key': 'sk-test' },
      sizeBytes,
      isChunked: true,
      isReadingLate: true,
    });
    assert.equal(claude.status, 413);
    assert.equal(JSON.parse(claude.body).error.type, 'request_too_large');
    const unauthorized = await uploadInPieces(`${llm.url}/v1/chat/completions`, {
      sizeBytes,
      isChunked: false,
      isReadingLate: true,
    });
    assert.equal(unauthorized.status, 401);
    assert.equal(JSON.parse(unauthorized.body).error.code, 'invalid_api_key');
    assert.equal(llm.requests.length, 0);
  });
});
