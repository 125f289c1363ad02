// Tools the provider runs and bills per use: web search is metered (and held), those the gateway
// cannot meter are refused while a USD budget applies. Each test fails if that were missing.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { costUsd, DEFAULT_PRICE_TABLE, ErrorCode, isPaddockError } from '@paddock/core';
import { closeServer, listen, readBody } from '@paddock/http';
import { eventually } from '@paddock/testkit';
import OpenAI from 'openai';
import { createGateway } from './gateway.ts';
import { type FixtureOptions, post, REAL_KEY, startGatewayFixture } from './gateway-fixture.ts';
import { createMemoryLedger } from './memory-ledger.ts';
import { COST_HEADER } from './relay.ts';
import { createRunTokens } from './run-tokens.ts';

async function start(t: TestContext, options: FixtureOptions = {}) {
  const fixture = await startGatewayFixture(options);
  t.after(() => fixture.close());
  const anthropic = (token = fixture.token()) =>
    new Anthropic({ apiKey: token, baseURL: `${fixture.url}/anthropic`, maxRetries: 0 });
  const openai = (token = fixture.token()) =>
    new OpenAI({ apiKey: token, baseURL: `${fixture.url}/openai/v1`, maxRetries: 0 });
  return { ...fixture, anthropic, openai };
}

type Seen = { url: string; body: string };

/** A hand-written upstream on port 0 (for answers the scripted model does not give). */
async function startUpstream(
  t: TestContext,
  answer: (seen: Seen, res: ServerResponse) => void,
): Promise<{ url: string }> {
  const server = createServer((req, res) => {
    void readBody(req, 1 << 20).then((body) =>
      answer({ url: req.url ?? '', body: body.toString() }, res),
    );
  });
  const url = await listen(server, 0, '127.0.0.1');
  t.after(() => closeServer(server));
  return { url };
}

const ask = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Hi' }],
};
const hello = [{ role: 'user' as const, content: 'Hi' }];

describe('gateway provider-side tools: refused where they cannot be metered', () => {
  it('refuses provider-side tools it cannot meter while a USD budget applies', async (t) => {
    const g = await start(t, { script: Array(4).fill({ text: 'ok' }), limits: { runUsd: 1 } });
    const headers = { 'x-api-key': g.token() };
    const refused: Array<[string, object, string]> = [
      [
        'anthropic/v1/messages',
        {
          ...ask,
          tools: [
            { name: 'read', input_schema: { type: 'object' } },
            { type: 'advisor_20260301', name: 'advisor' },
          ],
        },
        'tools\\[1\\] is the provider-side tool "advisor_20260301"',
      ],
      [
        'anthropic/v1/messages',
        { ...ask, tools: [{ type: 'code_execution_20250825', name: 'code_execution' }] },
        'tools\\[0\\] is the provider-side tool "code_execution_20250825"',
      ],
      [
        'openai/v1/responses',
        { model: 'gpt-4o', input: 'x', tools: [{ type: 'web_search' }, { type: 'file_search' }] },
        'tools\\[1\\] is the provider-side tool "file_search"',
      ],
      [
        'openai/v1/chat/completions',
        { model: 'gpt-4o', messages: hello, web_search_options: {} },
        'web_search_options is the provider-side tool "web_search"',
      ],
    ];
    for (const [path, body, message] of refused) {
      const answer = await post(`${g.url}/${path}`, body, headers);
      assert.equal(answer.status, 400, path);
      const { error } = answer.json as { error: { message: string } };
      assert.match(error.message, new RegExp(`^${message}.*USD budget \\(maxUsd\\)`));
    }
    assert.equal(g.llm.requests.length, 0);
    // Tools billed by their tokens alone pass (custom ones, typed client tools, tool search), and
    // web search, which is metered.
    const clientTools = await post(
      `${g.url}/anthropic/v1/messages`,
      {
        ...ask,
        tools: [
          { name: 'read', input_schema: { type: 'object' } },
          { type: 'bash_20250124', name: 'bash' },
          { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
          { type: 'tool_search_tool_regex_20251119', name: 'tool_search_tool_regex' },
          { type: 'web_fetch_20250910', name: 'web_fetch' },
          { type: 'web_search_20250305', name: 'web_search', max_uses: 2 },
        ],
      },
      headers,
    );
    assert.equal(clientTools.status, 200);
    const functions = await post(
      `${g.url}/openai/v1/responses`,
      {
        model: 'gpt-4o',
        input: 'x',
        tools: [
          { type: 'function', name: 'f', parameters: {} },
          { type: 'tool_search', execution: 'server' },
          { type: 'web_search' },
        ],
      },
      headers,
    );
    assert.equal(functions.status, 200);
    assert.equal(g.llm.requests.length, 2);
  });

  it('lets provider-side tools through where no USD budget applies', async (t) => {
    const g = await start(t, { script: [{ text: 'ok' }], limits: { runTokens: 100_000 } });
    const search = { type: 'web_search_20250305', name: 'web_search', max_uses: 1 };
    const answer = await post(
      `${g.url}/anthropic/v1/messages`,
      { ...ask, tools: [search] },
      { 'x-api-key': g.token() },
    );
    assert.equal(answer.status, 200);
    assert.equal(g.llm.requests.length, 1);
  });
});

describe('gateway provider-side tools: web search, metered', () => {
  const search = (maxUses?: number) => ({
    type: 'web_search_20250305' as const,
    name: 'web_search' as const,
    ...(maxUses === undefined ? {} : { max_uses: maxUses }),
  });

  it('charges every web search the provider reports, streamed or not, on top of tokens', async (t) => {
    const message = { id: 'msg_1', type: 'message', role: 'assistant', model: ask.model };
    const upstream = await startUpstream(t, (seen, res) => {
      const body = JSON.parse(seen.body) as { stream?: boolean };
      if (seen.url.endsWith('/messages') && body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            ...message,
            content: [{ type: 'text', text: 'found' }],
            stop_reason: 'end_turn',
            usage: {
              input_tokens: 100,
              output_tokens: 50,
              server_tool_use: { web_search_requests: 3 },
            },
          }),
        );
      } else if (seen.url.endsWith('/messages')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const start = {
          type: 'message_start',
          message: { ...message, content: [], usage: { input_tokens: 100, output_tokens: 1 } },
        };
        const delta = {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn' },
          usage: { output_tokens: 50, server_tool_use: { web_search_requests: 2 } },
        };
        res.write(`event: message_start\ndata: ${JSON.stringify(start)}\n\n`);
        res.write(`event: message_delta\ndata: ${JSON.stringify(delta)}\n\n`);
        res.end('event: message_stop\ndata: {"type":"message_stop"}\n\n');
      } else if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        const output = [
          { id: 'ws_1', type: 'web_search_call', status: 'completed' },
          { id: 'ws_2', type: 'web_search_call', status: 'completed' },
          { id: 'msg_1', type: 'message', role: 'assistant', content: [] },
        ];
        res.end(
          JSON.stringify({
            id: 'resp_1',
            object: 'response',
            output,
            usage: { input_tokens: 100, output_tokens: 50 },
          }),
        );
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const item = { id: 'ws_1', type: 'web_search_call', status: 'completed' };
        const events = [
          { type: 'response.output_item.added', item: { ...item, status: 'in_progress' } },
          { type: 'response.output_item.done', item },
          {
            type: 'response.completed',
            response: {
              id: 'resp_2',
              output: [item],
              usage: { input_tokens: 100, output_tokens: 50 },
            },
          },
        ];
        for (const event of events)
          res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        res.end();
      }
    });
    const apiKey = async () => REAL_KEY;
    const g = await start(t, {
      upstreams: {
        anthropic: { baseUrl: upstream.url, apiKey },
        openai: { baseUrl: `${upstream.url}/v1`, apiKey },
      },
      limits: { runUsd: 10 },
    });
    const tools = [search(5)];
    const answer = await g
      .anthropic()
      .messages.create({ ...ask, tools })
      .withResponse();
    await g
      .anthropic()
      .messages.stream({ ...ask, tools })
      .finalMessage();
    const responses = { model: 'gpt-4o', input: 'x', tools: [{ type: 'web_search' as const }] };
    await g.openai().responses.create(responses);
    for await (const _ of await g.openai().responses.create({ ...responses, stream: true }));
    const calls = await g.waitForCalls(4);
    const tokens = { inputTokens: 100, outputTokens: 50 };
    assert.deepEqual(
      calls.map((call) => [call.status, call.costUsd]),
      [
        [200, costUsd(DEFAULT_PRICE_TABLE, ask.model, tokens) + 3 * 0.01],
        [200, costUsd(DEFAULT_PRICE_TABLE, ask.model, tokens) + 2 * 0.01],
        [200, costUsd(DEFAULT_PRICE_TABLE, 'gpt-4o', tokens) + 2 * 0.025],
        [200, costUsd(DEFAULT_PRICE_TABLE, 'gpt-4o', tokens) + 1 * 0.025],
      ],
    );
    assert.equal(answer.response.headers.get(COST_HEADER), calls[0]?.costUsd.toFixed(6));
  });

  it('refuses a web search price that is negative or names no provider, naming the field', () => {
    const options = {
      upstreams: {},
      prices: DEFAULT_PRICE_TABLE,
      tokens: createRunTokens(Buffer.alloc(32, 1)),
      ledger: createMemoryLedger(),
      limitsFor: async () => ({}),
    };
    const bad = [{ anthropic: -0.01 }, { openai: Number.NaN }, { gemini: 0.01 }];
    for (const webSearchUsd of bad) {
      assert.throws(
        () => createGateway({ ...options, webSearchUsd }),
        (error: unknown) => {
          assert.ok(isPaddockError(error) && error.code === ErrorCode.ValidationFailed);
          assert.match(error.message, /webSearchUsd/);
          return true;
        },
        JSON.stringify(webSearchUsd),
      );
    }
  });

  it('holds the searches a call may run: its max_uses, or five', async (t) => {
    const g = await start(t, {
      script: [
        { text: 'searching', isHanging: true },
        { text: 'searching', isHanging: true },
      ],
      limits: { namespaceDailyUsd: 10 },
    });
    const body = { ...ask, tools: [search(3), search()] };
    const giveUp = new AbortController();
    const call = g.anthropic().messages.create(body, { signal: giveUp.signal });
    await eventually(() => g.ledger.reservations.size === 1, { what: 'the hold' });
    const [hold] = g.ledger.reservations.values();
    const bodyBytes = JSON.stringify(body).length;
    const tokens = { inputTokens: Math.ceil(bodyBytes / 4), outputTokens: ask.max_tokens };
    const held = costUsd(DEFAULT_PRICE_TABLE, ask.model, tokens) + (3 + 5) * 0.01;
    assert.ok(Math.abs((hold?.costUsd ?? 0) - held) < 1e-9, `${hold?.costUsd} != ${held}`);
    giveUp.abort();
    await assert.rejects(call);
  });
});
