import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { eventually } from '@paddock/testkit';
import OpenAI from 'openai';
import { BUDGET_LIMIT_HEADER } from './budget.ts';
import { type FixtureOptions, post, startGatewayFixture } from './gateway-fixture.ts';

async function start(t: TestContext, options: FixtureOptions) {
  const fixture = await startGatewayFixture(options);
  t.after(() => fixture.close());
  const anthropic = (token = fixture.token()) =>
    new Anthropic({ apiKey: token, baseURL: `${fixture.url}/anthropic`, maxRetries: 0 });
  return { ...fixture, anthropic };
}

const ask = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Hi' }],
};
// At $3 / $15 per million tokens: 1000 in + 200 out = $0.006 a call.
const turn = { text: 'ok', usage: { inputTokens: 1000, outputTokens: 200 } };

describe('gateway budgets', () => {
  it('refuses the call after the one that crossed the run budget (402, maxUsd)', async (t) => {
    const g = await start(t, { script: [turn, turn, turn], limits: { runUsd: 0.01 } });
    const client = g.anthropic();
    await client.messages.create(ask);
    await client.messages.create(ask); // $0.006 spent < $0.01: allowed, crosses to $0.012
    await assert.rejects(client.messages.create(ask), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.status, 402);
      assert.equal(error.headers?.get(BUDGET_LIMIT_HEADER), 'maxUsd');
      assert.match(error.message, /run budget exceeded: spent \$0\.0120 of \$0\.0100 \(maxUsd\)/);
      assert.deepEqual(
        (error.error as { error?: { type?: string } }).error?.type,
        'budget_exceeded',
      );
      return true;
    });
    assert.equal(g.llm.requests.length, 2, 'the refused call reached the upstream');
    assert.deepEqual(
      g.ledger.calls.map((call) => call.status),
      [200, 200, 402],
    );
    assert.equal(g.ledger.calls[2]?.error?.code, 'budget_exceeded');
    assert.deepEqual(
      g.exceeded.map((e) => [e.grant.runUid, e.limit]),
      [['run-uid-1', 'maxUsd']],
    );
  });

  it('refuses in the OpenAI error shape for OpenAI callers', async (t) => {
    const g = await start(t, { script: [turn], limits: { runUsd: 0 } });
    const client = new OpenAI({ apiKey: g.token(), baseURL: `${g.url}/openai/v1`, maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'x' }],
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 402);
        assert.equal(error.code, 'budget_exceeded');
        assert.equal(error.type, 'budget_exceeded');
        return true;
      },
    );
  });

  it('enforces the token budget of a run', async (t) => {
    const g = await start(t, { script: [turn, turn], limits: { runTokens: 1500 } });
    const client = g.anthropic();
    await client.messages.create(ask); // 1200 tokens < 1500
    await client.messages.create(ask); // 2400 tokens now
    await assert.rejects(client.messages.create(ask), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.status, 402);
      assert.equal(error.headers?.get(BUDGET_LIMIT_HEADER), 'maxTokens');
      assert.match(error.message, /used 2400 of 1500 tokens/);
      return true;
    });
    assert.deepEqual(
      g.exceeded.map((e) => e.limit),
      ['maxTokens'],
    );
  });

  it('counts a user’s day across their runs, and only theirs', async (t) => {
    const g = await start(t, { script: [turn, turn, turn], limits: { userDailyUsd: 0.01 } });
    await g.anthropic(g.token({ runUid: 'run-a' })).messages.create(ask);
    await g.anthropic(g.token({ runUid: 'run-b' })).messages.create(ask);
    const third = g.anthropic(g.token({ runUid: 'run-c' }));
    await assert.rejects(third.messages.create(ask), (error: unknown) => {
      assert.ok(error instanceof Anthropic.APIError);
      assert.equal(error.status, 402);
      assert.equal(error.headers?.get(BUDGET_LIMIT_HEADER), 'dailyUsd');
      assert.match(error.message, /daily budget of user \\"alice\\" exceeded/);
      return true;
    });
    // Another user of the same namespace still has a budget.
    await g.anthropic(g.token({ runUid: 'run-d', user: 'bob' })).messages.create(ask);
    assert.deepEqual(
      g.exceeded.map((e) => [e.grant.runUid, e.limit]),
      [['run-c', 'dailyUsd']],
    );
  });

  it('counts only today (UTC): yesterday’s spend does not count', async (t) => {
    let now = new Date('2025-06-01T23:59:00Z');
    const g = await start(t, {
      script: [turn, turn, turn],
      limits: { namespaceDailyUsd: 0.005 },
      now: () => now,
    });
    await g.anthropic(g.token({ runUid: 'run-a' })).messages.create(ask);
    await assert.rejects(
      g.anthropic(g.token({ runUid: 'run-b', user: 'bob' })).messages.create(ask),
      (error: unknown) =>
        error instanceof Anthropic.APIError &&
        error.status === 402 &&
        /daily budget of namespace \\"default\\" exceeded/.test(error.message),
    );
    now = new Date('2025-06-02T00:01:00Z');
    await g.anthropic(g.token({ runUid: 'run-b', user: 'bob' })).messages.create(ask);
    // Another namespace was never limited by this one's spend.
    await g.anthropic(g.token({ runUid: 'run-c', namespace: 'team' })).messages.create(ask);
    assert.equal(g.llm.requests.length, 3);
  });

  it('refuses a model without a price when a USD budget applies, and meters it at $0 otherwise', async (t) => {
    let limits = {};
    const g = await start(t, {
      script: [turn],
      limits: () => limits,
      prices: { models: [{ model: 'claude-sonnet-4*', inputUsdPerMTok: 3, outputUsdPerMTok: 15 }] },
    });
    const local = { ...ask, model: 'my-local-model' };
    limits = { runUsd: 5 };
    const refused = await post(`${g.url}/anthropic/v1/messages`, local, { 'x-api-key': g.token() });
    assert.equal(refused.status, 402);
    assert.match(refused.text, /model \\"my-local-model\\" has no price/);
    assert.deepEqual(g.exceeded, [], 'an unpriced model does not end the run');
    limits = {};
    await g.anthropic().messages.create(local);
    assert.deepEqual(
      g.ledger.calls.map((call) => [call.status, call.costUsd]),
      [
        [402, 0],
        [200, 0],
      ],
    );
  });

  it('answers 429, not 402, while calls in flight hold the rest of a budget, and gives it back', async (t) => {
    const hanging = { text: 'thinking…', isHanging: true };
    const g = await start(t, {
      script: [hanging, turn],
      limits: { namespaceDailyUsd: 0.01 },
      budgetWaitMs: 0,
    });
    const holder = new AbortController();
    // Not streamed: the upstream hangs before answering, so the call ends with nothing to charge.
    const first = g
      .anthropic(g.token({ runUid: 'run-a' }))
      .messages.create(ask, { signal: holder.signal });
    await eventually(() => g.llm.requests.length > 0, {
      what: 'the held call upstream',
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    // Its hold: the body at 4 bytes a token and max_tokens 1024 at $15 / MTok, over $0.01.
    const other = g.anthropic(g.token({ runUid: 'run-b', user: 'bob' }));
    await assert.rejects(other.messages.create(ask), (error: unknown) => {
      assert.ok(error instanceof Anthropic.RateLimitError);
      assert.equal(error.headers?.get('retry-after'), '5');
      assert.equal(error.headers?.get(BUDGET_LIMIT_HEADER), 'dailyUsd');
      assert.match(
        error.message,
        /spent \$0\.0000 \(\+ \$0\.015\d held by calls in flight\) of \$0\.0100 today .*retry once they end/,
      );
      return true;
    });
    // Nothing was spent: the run is not told it is over its budget.
    assert.deepEqual(g.exceeded, []);
    holder.abort();
    await assert.rejects(first);
    await g.waitForCalls(2);
    assert.equal(g.ledger.reservations.size, 0, 'the hold went with its call');
    await other.messages.create(ask);
    assert.deepEqual(
      g.ledger.calls.map((call) => [call.runUid, call.status, call.costUsd]),
      [
        ['run-b', 429, 0],
        ['run-a', 499, 0],
        ['run-b', 200, 0.006],
      ],
    );
  });

  it("holds a call that sets no output limit at its model's most output (the price table's)", async (t) => {
    const hanging = { text: 'thinking…', isHanging: true };
    const g = await start(t, { script: [hanging], limits: { namespaceDailyUsd: 10 } });
    const client = new OpenAI({ apiKey: g.token(), baseURL: `${g.url}/openai/v1`, maxRetries: 0 });
    const holder = new AbortController();
    const call = client.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] },
      { signal: holder.signal },
    );
    await eventually(() => g.llm.requests.length > 0, { what: 'the held call upstream' });
    const [held] = [...g.ledger.reservations.values()];
    // gpt-4o answers at most 16 384 tokens, at $10 / MTok: not the 128 000 of the ceiling.
    assert.ok(held !== undefined, 'the call holds budget');
    assert.ok(
      held.costUsd > 0.16384 && held.costUsd < 0.17,
      `the hold is $${held.costUsd}, gpt-4o's most output and the body`,
    );
    holder.abort();
    await assert.rejects(call);
  });

  it('lets a call wait for the budget calls in flight hold, and go once they let go of it', async (t) => {
    const hanging = { text: 'thinking…', isHanging: true };
    const g = await start(t, { script: [hanging, turn], limits: { namespaceDailyUsd: 0.01 } });
    const holder = new AbortController();
    const first = g
      .anthropic(g.token({ runUid: 'run-a' }))
      .messages.create(ask, { signal: holder.signal });
    await eventually(() => g.llm.requests.length > 0, { what: 'the held call upstream' });
    const waiting = g.anthropic(g.token({ runUid: 'run-b', user: 'bob' })).messages.create(ask);
    await eventually(() => g.gateway.callsInFlight('run-b') === 1, { what: 'the waiting call' });
    assert.equal(g.llm.requests.length, 1, 'the waiting call is not upstream');
    holder.abort();
    await assert.rejects(first);
    const answer = await waiting;
    assert.equal(answer.content[0]?.type === 'text' && answer.content[0].text, 'ok');
    await g.waitForCalls(2);
    assert.deepEqual(
      g.ledger.calls.map((call) => [call.runUid, call.status]),
      [
        ['run-a', 499],
        ['run-b', 200],
      ],
    );
    assert.deepEqual(g.exceeded, []);
  });

  it('records a call whose caller leaves while it waits for budget as gone, holding nothing', async (t) => {
    const hanging = { text: 'thinking…', isHanging: true };
    const g = await start(t, { script: [hanging], limits: { namespaceDailyUsd: 0.01 } });
    const holder = new AbortController();
    const first = g
      .anthropic(g.token({ runUid: 'run-a' }))
      .messages.create(ask, { signal: holder.signal });
    await eventually(() => g.llm.requests.length > 0, { what: 'the held call upstream' });
    const leaver = new AbortController();
    const waiting = g
      .anthropic(g.token({ runUid: 'run-b', user: 'bob' }))
      .messages.create(ask, { signal: leaver.signal });
    await eventually(() => g.gateway.callsInFlight('run-b') === 1, { what: 'the waiting call' });
    leaver.abort();
    await assert.rejects(waiting);
    await g.waitForCalls(1);
    assert.deepEqual(
      g.ledger.calls.map((call) => [call.runUid, call.status, call.costUsd, call.error?.code]),
      [['run-b', 499, 0, 'client_closed_request']],
    );
    assert.equal(g.ledger.reservations.size, 1, "only the first call's hold is left");
    assert.equal(g.llm.requests.length, 1, 'the call that left never went upstream');
    holder.abort();
    await assert.rejects(first);
    await g.waitForCalls(2);
    assert.deepEqual(g.exceeded, []);
  });

  it('serialises racing calls of one run, so only one passes the last dollar', async (t) => {
    const slow = { ...turn, chunkDelayMs: 5 };
    const g = await start(t, { script: [slow, slow, slow, slow], limits: { runUsd: 0.005 } });
    const client = g.anthropic();
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map(() => client.messages.stream(ask).finalMessage()),
    );
    assert.deepEqual(results.map((result) => result.status).sort(), [
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
    ]);
    assert.equal(g.llm.requests.length, 1);
    assert.equal(g.exceeded.length, 3);
  });
});
