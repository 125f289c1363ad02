import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { uploadInPieces } from '@paddock/http';
import OpenAI from 'openai';
import { type FixtureOptions, GRANT, post, startGatewayFixture } from './gateway-fixture.ts';
import { createRunTokens } from './run-tokens.ts';

async function start(t: TestContext, options: FixtureOptions = {}) {
  const fixture = await startGatewayFixture(options);
  t.after(() => fixture.close());
  return fixture;
}

const ask = {
  model: 'claude-sonnet-4-6',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Hi' }],
};
const turn = { text: 'ok', usage: { inputTokens: 1, outputTokens: 1 } };

type AnthropicErrorBody = { type: string; error: { type: string; message: string } };
type OpenAiErrorBody = { error: { type: string; code: string; message: string } };

describe('gateway refusals', () => {
  it('refuses a missing, forged, foreign or expired token with 401, before the upstream', async (t) => {
    let now = new Date('2025-01-01T00:00:00Z');
    const g = await start(t, { script: [turn], now: () => now });
    const url = `${g.url}/anthropic/v1/messages`;
    const forged = `${g.token().slice(0, -4)}AAAA`;
    const foreign = createRunTokens(randomBytes(32)).issue(GRANT, 60_000);
    const expiring = g.tokens.issue(GRANT, 1_000);
    assert.equal((await post(url, ask, { 'x-api-key': expiring })).status, 200);
    now = new Date(now.getTime() + 1_000);
    const refused = [{}, { 'x-api-key': forged }, { authorization: `Bearer ${foreign}` }];
    for (const headers of [...refused, { 'x-api-key': expiring }]) {
      const answer = await post(url, ask, headers);
      assert.equal(answer.status, 401, JSON.stringify(headers));
      const body = answer.json as AnthropicErrorBody;
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, 'authentication_error');
    }

    const sdk = new OpenAI({ apiKey: forged, baseURL: `${g.url}/openai/v1`, maxRetries: 0 });
    await assert.rejects(
      sdk.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (error: unknown) => error instanceof OpenAI.AuthenticationError,
    );
    assert.equal(g.llm.requests.length, 1, 'only the call with the fresh token went upstream');
    assert.equal(g.ledger.calls.length, 1);
  });

  it('refuses the token of a finished run', async (t) => {
    const g = await start(t, {
      script: [turn],
      isActive: async (grant) => grant.runUid !== 'done',
    });
    const client = new Anthropic({
      apiKey: g.token({ runUid: 'done' }),
      baseURL: `${g.url}/anthropic`,
      maxRetries: 0,
    });
    await assert.rejects(client.messages.create(ask), (error: unknown) => {
      assert.ok(error instanceof Anthropic.AuthenticationError);
      assert.match(error.message, /is over/);
      return true;
    });
    assert.equal(g.llm.requests.length, 0);
  });

  it('answers 400 naming the problem for a body that is not JSON or has no model', async (t) => {
    const g = await start(t);
    const headers = { 'x-api-key': g.token() };
    const notJson = await post(`${g.url}/anthropic/v1/messages`, '{"model":', headers);
    assert.equal(notJson.status, 400);
    assert.match((notJson.json as AnthropicErrorBody).error.message, /not JSON/);
    const noModel = await post(
      `${g.url}/openai/v1/chat/completions`,
      { messages: [] },
      {
        authorization: `Bearer ${g.token()}`,
      },
    );
    assert.equal(noModel.status, 400);
    const body = noModel.json as OpenAiErrorBody;
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /model/);
    assert.deepEqual(
      g.ledger.calls.map((call) => call.status),
      [400, 400],
    );
  });

  it('answers 413 past the body limit', async (t) => {
    const g = await start(t, { maxBodyBytes: 1024 });
    const big = { ...ask, messages: [{ role: 'user', content: 'x'.repeat(4096) }] };
    const answer = await post(`${g.url}/anthropic/v1/messages`, big, { 'x-api-key': g.token() });
    assert.equal(answer.status, 413);
    assert.equal((answer.json as AnthropicErrorBody).error.type, 'request_too_large');
    assert.equal(g.llm.requests.length, 0);
  });

  it('answers an over-limit body with its 413 every time, whatever its framing', async (t) => {
    const g = await start(t, { maxBodyBytes: 64 * 1024 });
    const headers = { 'content-type': 'application/json', 'x-api-key': g.token() };
    for (const isChunked of [false, true]) {
      for (let i = 0; i < 20; i++) {
        // Half the clients read only once they have sent everything: a reset loses their 413.
        const answer = await uploadInPieces(`${g.url}/anthropic/v1/messages`, {
          headers,
          sizeBytes: 4 * 1024 * 1024,
          isChunked,
          isReadingLate: i % 2 === 1,
        }).catch((error: unknown) => assert.fail(`attempt ${i + 1}: no answer: ${error}`));
        assert.equal(answer.status, 413, `attempt ${i + 1}: ${answer.body}`);
        const body = JSON.parse(answer.body) as AnthropicErrorBody;
        assert.equal(body.error.type, 'request_too_large');
        assert.equal(answer.headers.connection, 'close');
      }
    }
    assert.equal(g.llm.requests.length, 0);
    assert.deepEqual(new Set(g.ledger.calls.map((call) => call.status)), new Set([413]));
  });

  it('records a model call whose caller leaves mid-body as 499', async (t) => {
    let arrived = () => {};
    const isArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const isActive = async () => {
      arrived(); // the gateway checks the run just before it reads the body
      return true;
    };
    const g = await start(t, { isActive });
    const caller = request(`${g.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': g.token(), 'content-length': '100000' },
    });
    caller.on('error', () => {}); // the caller's own abort
    caller.write('{"model":"claude-sonnet-4-6","messages":[');
    await isArrived;
    caller.destroy();
    const [call] = await g.waitForCalls(1);
    assert.equal(call?.status, 499);
    assert.equal(call?.error?.code, 'client_closed_request');
    assert.equal(g.llm.requests.length, 0);
    assert.deepEqual(g.logs, []);
  });

  it('answers a refusal given before the body is read (401) every time', async (t) => {
    const g = await start(t);
    for (let i = 0; i < 20; i++) {
      const answer = await uploadInPieces(`${g.url}/openai/v1/chat/completions`, {
        headers: { authorization: 'Bearer forged' },
        sizeBytes: 4 * 1024 * 1024,
        isChunked: i % 4 < 2,
        isReadingLate: i % 2 === 1,
      }).catch((error: unknown) => assert.fail(`attempt ${i + 1}: no answer: ${error}`));
      assert.equal(answer.status, 401, `attempt ${i + 1}: ${answer.body}`);
      assert.equal((JSON.parse(answer.body) as OpenAiErrorBody).error.code, 'invalid_api_key');
    }
  });

  it('answers 503 when no provider key is configured, and 404 for unknown routes', async (t) => {
    const g = await start(t, { apiKey: null, script: [turn] });
    const answer = await post(`${g.url}/anthropic/v1/messages`, ask, { 'x-api-key': g.token() });
    assert.equal(answer.status, 503);
    assert.match((answer.json as AnthropicErrorBody).error.message, /no API key for anthropic/);
    const unknown = await post(`${g.url}/anthropic/v1/complete`, ask, { 'x-api-key': g.token() });
    assert.equal(unknown.status, 404);
    const traversal = await post(`${g.url}/openai/v1/models/../../admin`, {}, {});
    assert.equal(traversal.status, 404);
    assert.equal(g.llm.requests.length, 0);
  });

  it('answers 502 when the upstream is unreachable, and records it', async (t) => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const apiKey = async () => 'k';
    const g = await start(t, {
      upstreams: { anthropic: { baseUrl: `http://127.0.0.1:${port}`, apiKey } },
    });
    const answer = await post(`${g.url}/anthropic/v1/messages`, ask, { 'x-api-key': g.token() });
    assert.equal(answer.status, 502);
    assert.match((answer.json as AnthropicErrorBody).error.message, /could not reach/);
    assert.equal(g.ledger.calls[0]?.status, 502);
  });
});
