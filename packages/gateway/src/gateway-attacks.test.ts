// Attempts to break the gateway: spend past a budget, get the provider key, use a token beyond its
// run, steer the key to another host. Each test fails if the protection it probes were missing.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, request, type ServerResponse } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { costUsd, DEFAULT_PRICE_TABLE } from '@paddock/core';
import { closeServer, listen, readBody } from '@paddock/http';
import { eventually } from '@paddock/testkit';
import OpenAI from 'openai';
import {
  type FixtureOptions,
  GRANT,
  post,
  REAL_KEY,
  startGatewayFixture,
} from './gateway-fixture.ts';
import { CLIENT_CLOSED_STATUS, COST_HEADER } from './relay.ts';

async function start(t: TestContext, options: FixtureOptions = {}) {
  const fixture = await startGatewayFixture(options);
  t.after(() => fixture.close());
  const anthropic = (token = fixture.token()) =>
    new Anthropic({ apiKey: token, baseURL: `${fixture.url}/anthropic`, maxRetries: 0 });
  const openai = (token = fixture.token()) =>
    new OpenAI({ apiKey: token, baseURL: `${fixture.url}/openai/v1`, maxRetries: 0 });
  return { ...fixture, anthropic, openai };
}

type Seen = { method: string; url: string; headers: IncomingHttpHeaders; body: string };

/** A hand-written upstream on port 0 (for answers no real provider gives), recording requests. */
async function startUpstream(
  t: TestContext,
  answer: (seen: Seen, res: ServerResponse) => void = (_seen, res) => res.writeHead(500).end(),
): Promise<{ url: string; port: number; requests: Seen[] }> {
  const requests: Seen[] = [];
  const server = createServer((req, res) => {
    void readBody(req, 1 << 20).then((body) => {
      const seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: body.toString(),
      };
      requests.push(seen);
      answer(seen, res);
    });
  });
  const url = await listen(server, 0, '127.0.0.1');
  t.after(() => closeServer(server));
  return { url, port: Number(new URL(url).port), requests };
}

/** A request node:http sends as written: any path, any `Host`. */
function raw(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | undefined } = {},
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, path, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

const ask = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Hi' }],
};
const hello = [{ role: 'user' as const, content: 'Hi' }];

describe('gateway attacks: spending past a budget', () => {
  it('charges a stream cut before its final usage what it held, so cut streams hit the budget', async (t) => {
    // The upstream sends message_start (input 77, output so far 1), then nothing.
    const cut = {
      text: 'word '.repeat(50),
      isHanging: true,
      usage: { inputTokens: 77, outputTokens: 900 },
    };
    const g = await start(t, { script: [cut], limits: { runUsd: 0.01 } });
    const client = g.anthropic();
    const stream = client.messages.stream(ask);
    await new Promise<void>((resolve) => stream.once('streamEvent', () => resolve()));
    stream.abort();
    await assert.rejects(stream.finalMessage());
    const [call] = await g.waitForCalls(1);
    assert.equal(call?.status, CLIENT_CLOSED_STATUS);
    // The input reported, and max_tokens out: the provider bills what it generated, unseen.
    assert.equal(call?.inputTokens, 77);
    assert.equal(call?.outputTokens, 1024);
    const charged = costUsd(DEFAULT_PRICE_TABLE, ask.model, {
      inputTokens: 77,
      outputTokens: 1024,
    });
    assert.equal(call?.costUsd, charged);
    // $0.0156 of $0.01: the run's next call is refused, not let through for free.
    await assert.rejects(client.messages.create(ask), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.status, 402);
      return true;
    });
    assert.equal(g.llm.requests.length, 1);
  });

  it('charges an answer or stream that reports no usage what it held, not $0', async (t) => {
    const upstream = await startUpstream(t, (seen, res) => {
      const isStream = (JSON.parse(seen.body) as { stream?: boolean }).stream === true;
      const choice = { index: 0, finish_reason: 'stop' };
      if (!isStream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'c1',
            object: 'chat.completion',
            created: 1,
            model: 'gpt-4o',
            choices: [{ ...choice, message: { role: 'assistant', content: 'free?' } }],
          }),
        );
        return;
      }
      // A stream ignoring `include_usage`, then ending well.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = { id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o' };
      res.write(
        `data: ${JSON.stringify({ ...chunk, choices: [{ ...choice, delta: { content: 'free?' } }] })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    });
    const apiKey = async () => REAL_KEY;
    const g = await start(t, { upstreams: { openai: { baseUrl: `${upstream.url}/v1`, apiKey } } });
    const client = g.openai();
    const answer = await client.chat.completions
      .create({ model: 'gpt-4o', max_tokens: 500, messages: hello })
      .withResponse();
    assert.equal(answer.data.choices[0]?.message.content, 'free?');
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      max_tokens: 500,
      messages: hello,
      stream: true,
    });
    for await (const _ of stream);
    // Three choices of up to 500 tokens each.
    await client.chat.completions.create({
      model: 'gpt-4o',
      max_tokens: 500,
      n: 3,
      messages: hello,
    });
    const calls = await g.waitForCalls(3);
    for (const [index, call] of calls.entries()) {
      const outputTokens = index === 2 ? 1500 : 500;
      assert.equal(call.status, 200);
      assert.equal(call.outputTokens, outputTokens);
      assert.ok(call.inputTokens > 0, 'the body estimates the input');
      const { inputTokens } = call;
      assert.equal(
        call.costUsd,
        costUsd(DEFAULT_PRICE_TABLE, 'gpt-4o', { inputTokens, outputTokens }),
      );
    }
    assert.equal(answer.response.headers.get(COST_HEADER), calls[0]?.costUsd.toFixed(6));
  });

  it('charges a stream the provider breaks off what it held, and frees the run for its next call', async (t) => {
    const upstream = await startUpstream(t, (_seen, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {not json\n\n');
      res.write(
        'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":40,"output_tokens":1}}}\n\n',
      );
      setImmediate(() => res.destroy());
    });
    const apiKey = async () => REAL_KEY;
    const g = await start(t, {
      upstreams: { anthropic: { baseUrl: upstream.url, apiKey } },
      limits: { runUsd: 10 },
    });
    const client = g.anthropic();
    for (let i = 0; i < 2; i++) {
      const stream = client.messages.stream(ask);
      await assert.rejects(stream.finalMessage());
    }
    const calls = await g.waitForCalls(2);
    for (const call of calls) {
      assert.equal(call.status, 200);
      assert.equal(call.error?.code, 'upstream_stream_error');
      assert.deepEqual([call.inputTokens, call.outputTokens], [40, 1024]);
    }
    assert.equal(g.ledger.reservations.size, 0);
  });

  it('lets go of a hanging call once its caller gives up: the run goes on, nothing stays held', async (t) => {
    const g = await start(t, {
      script: [{ text: 'never', isHanging: true }, { text: 'next' }],
      limits: { runUsd: 1, userDailyUsd: 1 },
    });
    const client = g.anthropic();
    const giveUp = new AbortController();
    const hanging = client.messages.create(ask, { signal: giveUp.signal });
    await eventually(() => g.llm.requests.length > 0, { what: 'the upstream', timeoutMs: 5_000 });
    assert.equal(g.ledger.reservations.size, 1);
    giveUp.abort();
    await assert.rejects(hanging);
    // The run's lock went with the call: its next call is not stuck behind it.
    const next = await client.messages.create(ask, { timeout: 5_000 });
    assert.equal(next.content[0]?.type === 'text' && next.content[0].text, 'next');
    const calls = await g.waitForCalls(2);
    assert.deepEqual(
      calls.map((call) => [call.status, call.costUsd > 0]),
      [
        [CLIENT_CLOSED_STATUS, false],
        [200, true],
      ],
    );
    assert.equal(g.ledger.reservations.size, 0);
  });

  it('serves no endpoint that would reach the provider unmetered', async (t) => {
    const g = await start(t);
    const headers = { 'x-api-key': g.token(), 'content-type': 'application/json' };
    const attempts: Array<[string, string]> = [
      ['POST', 'openai/v1/embeddings'],
      ['POST', 'openai/v1/completions'],
      ['POST', 'openai/v1/batches'],
      ['POST', 'openai/v1/files'],
      ['GET', 'openai/v1/responses/resp_1'],
      ['POST', 'openai/v1/responses/resp_1/cancel'],
      ['POST', 'openai/v1/audio/speech'],
      ['POST', 'openai/v1/images/generations'],
      ['POST', 'anthropic/v1/messages/batches'],
      ['POST', 'anthropic/v1/complete'],
      ['GET', 'anthropic/v1/files'],
    ];
    for (const [method, path] of attempts) {
      const body = method === 'POST' ? JSON.stringify({ model: 'gpt-4o', input: 'x' }) : undefined;
      const answer = await raw(g.url, `/gateway/${path}`, { method, headers, body });
      assert.equal(answer.status, 404, `${method} ${path}`);
    }
    assert.equal(g.llm.requests.length, 0);
  });

  it('refuses a body naming a key twice, so the model priced is the model run', async (t) => {
    const g = await start(t, { script: [{ text: 'ok' }], limits: { runUsd: 1 } });
    const headers = { 'x-api-key': g.token() };
    const messages = JSON.stringify(hello);
    // Priced as haiku by a parser keeping the last duplicate, run as opus by one keeping the first.
    const bodies: Array<[string, string, string]> = [
      [
        'anthropic/v1/messages',
        `{"model":"claude-opus-4-1","max_tokens":64,"messages":${messages},"model":"claude-haiku-4-5"}`,
        'model',
      ],
      [
        'anthropic/v1/messages',
        `{"model":"claude-opus-4-1","max_tokens":64,"messages":${messages},"mod\\u0065l":"claude-haiku-4-5"}`,
        'model',
      ],
      [
        'anthropic/v1/messages',
        `{"model":"claude-haiku-4-5","max_tokens":64,"max_tokens":32000,"messages":${messages}}`,
        'max_tokens',
      ],
      [
        'openai/v1/chat/completions',
        `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":false,"include_usage":true},"messages":${messages}}`,
        'stream_options.include_usage',
      ],
    ];
    for (const [path, body, field] of bodies) {
      const answer = await post(`${g.url}/${path}`, body, headers);
      assert.equal(answer.status, 400, body);
      assert.match(answer.text, new RegExp(`names ${field.replaceAll('.', '\\.')} twice`));
    }
    assert.equal(g.llm.requests.length, 0);
    // Duplicates only as text inside strings are no duplicates.
    const content = '{\\"model\\":1,\\"model\\":2}';
    const fine = await post(
      `${g.url}/anthropic/v1/messages`,
      { ...ask, messages: [{ role: 'user', content }] },
      headers,
    );
    assert.equal(fine.status, 200);
  });
});

describe('gateway attacks: getting the provider key', () => {
  it('never passes the key back, even when the provider quotes it in an error', async (t) => {
    const upstream = await startUpstream(t, (seen, res) => {
      const key = String(seen.headers['x-api-key']);
      res.writeHead(401, { 'content-type': 'application/json', 'x-echo': `key=${key}` });
      res.end(
        JSON.stringify({
          type: 'error',
          error: { type: 'authentication_error', message: `invalid x-api-key ${key}` },
        }),
      );
    });
    const apiKey = async () => REAL_KEY;
    const g = await start(t, { upstreams: { anthropic: { baseUrl: upstream.url, apiKey } } });
    await assert.rejects(g.anthropic().messages.create(ask), (error: unknown) => {
      assert.ok(error instanceof Anthropic.AuthenticationError);
      assert.doesNotMatch(error.message, new RegExp(REAL_KEY));
      assert.match(error.message, /invalid x-api-key \[redacted\]/);
      return true;
    });
    // The same through the unmetered routes, headers included.
    const counted = await post(`${g.url}/anthropic/v1/messages/count_tokens`, ask, {
      'x-api-key': g.token(),
    });
    assert.equal(counted.status, 401);
    assert.equal(counted.headers.get('x-echo'), 'key=[redacted]');
    assert.ok(!counted.text.includes(REAL_KEY));
    const [call] = await g.waitForCalls(1);
    assert.equal(call?.error?.message, 'invalid x-api-key [redacted]');
    assert.equal(upstream.requests.length, 2, 'the key did reach the upstream');
    assert.ok(!JSON.stringify([g.calls, g.logs]).includes(REAL_KEY));
  });

  it('does not follow an upstream redirect, so the key never goes to the host it names', async (t) => {
    const elsewhere = await startUpstream(t);
    const upstream = await startUpstream(t, (seen, res) => {
      res.writeHead(307, { location: `${elsewhere.url}${seen.url}` }).end();
    });
    const apiKey = async () => REAL_KEY;
    const g = await start(t, { upstreams: { anthropic: { baseUrl: upstream.url, apiKey } } });
    const answer = await fetch(`${g.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': g.token(), 'content-type': 'application/json' },
      body: JSON.stringify(ask),
      redirect: 'manual',
    });
    await answer.arrayBuffer();
    assert.equal(answer.status, 307);
    assert.equal(upstream.requests.length, 1);
    assert.equal(elsewhere.requests.length, 0);
  });

  it('sends only its own key upstream, whatever credentials the caller adds', async (t) => {
    const g = await start(t, { script: [{ text: 'a' }, { text: 'b' }] });
    const token = g.token();
    const extra = { 'api-key': 'sk-caller', cookie: 'session=caller', 'proxy-authorization': 'x' };
    await post(`${g.url}/anthropic/v1/messages`, ask, {
      ...extra,
      'x-api-key': token,
      authorization: 'Bearer sk-caller-own-key',
    });
    await post(
      `${g.url}/openai/v1/chat/completions`,
      { model: 'gpt-4o', messages: hello },
      { ...extra, authorization: `Bearer ${token}`, 'x-api-key': token },
    );
    const [anthropic, openai] = g.llm.requests;
    assert.equal(anthropic?.headers['x-api-key'], REAL_KEY);
    assert.equal(anthropic?.headers.authorization, undefined);
    assert.equal(openai?.headers.authorization, `Bearer ${REAL_KEY}`);
    assert.equal(openai?.headers['x-api-key'], undefined);
    for (const seen of [anthropic, openai]) {
      for (const name of ['api-key', 'cookie', 'proxy-authorization']) {
        assert.equal(seen?.headers[name], undefined, name);
      }
    }
  });
});

describe('gateway attacks: a token beyond its scope', () => {
  it('refuses a provider key presented instead of a run token, whichever header carries it', async (t) => {
    const g = await start(t, { script: [{ text: 'a' }] });
    const token = g.token();
    const tries: Array<Record<string, string>> = [
      { 'x-api-key': REAL_KEY },
      { authorization: `Bearer ${REAL_KEY}` },
      // A genuine token in one header does not vouch for a key in the header read first.
      { 'x-api-key': REAL_KEY, authorization: `Bearer ${token}` },
    ];
    for (const headers of tries) {
      const answer = await post(`${g.url}/anthropic/v1/messages`, ask, headers);
      assert.equal(answer.status, 401, JSON.stringify(headers));
    }
    assert.equal(g.llm.requests.length, 0);
  });

  it('charges a call to the run its token names, whatever else the caller claims', async (t) => {
    const g = await start(t, {
      script: [{ text: 'a', usage: { inputTokens: 10, outputTokens: 10 } }],
    });
    await post(
      `${g.url}/anthropic/v1/messages`,
      { ...ask, metadata: { user_id: 'bob' } },
      {
        'x-api-key': g.token(),
        'x-paddock-run-uid': 'run-of-bob',
        'x-paddock-user': 'bob',
      },
    );
    const [call] = await g.waitForCalls(1);
    assert.deepEqual([call?.runUid, call?.user], [GRANT.runUid, GRANT.user]);
    assert.equal(g.llm.requests[0]?.headers['x-paddock-user'], undefined);
  });
});

describe('gateway attacks: steering the key to another host', () => {
  it('cannot be sent elsewhere by path, Host or forwarding headers', async (t) => {
    const evil = await startUpstream(t);
    const g = await start(t);
    const at = `127.0.0.1:${evil.port}`;
    const headers = { 'x-api-key': g.token(), 'content-type': 'application/json' };
    const paths = [
      `/gateway/openai/http://${at}/v1/chat/completions`,
      `/gateway/openai//${at}/v1/chat/completions`,
      `/gateway/anthropic/v1/models//${at}/x`,
      `/gateway/anthropic/v1/models/@${at}`,
      `/gateway/anthropic/v1/models/..%2f..%2f..%2f${at}`,
      `/gateway/anthropic/v1/models/%2e%2e/%2e%2e/x`,
      `/gateway/openai/v1/models/../../../${at}`,
      `/gateway/openai/v1/models/\\\\${at}`,
      `/gateway/anthropic/v1/models?@${at}`,
    ];
    for (const path of paths) await raw(g.url, path, { headers });
    const forwarding = {
      ...headers,
      host: at,
      'x-forwarded-host': at,
      forwarded: `host=${at}`,
    };
    await raw(g.url, '/gateway/anthropic/v1/models', { headers: forwarding });
    await raw(g.url, '/gateway/openai/v1/chat/completions', {
      method: 'POST',
      headers: forwarding,
      body: JSON.stringify({ model: 'gpt-4o', messages: hello, base_url: `http://${at}` }),
    });
    assert.equal(evil.requests.length, 0);
    await eventually(() => g.llm.requests.length > 0, { what: 'the upstream', timeoutMs: 5_000 });
    for (const seen of g.llm.requests) assert.notEqual(seen.headers.host, at);
  });
});
