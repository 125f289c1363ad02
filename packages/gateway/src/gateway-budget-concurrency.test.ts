// Budgets under concurrency, end to end: 20 runs at once, through two gateways that share one
// SQLite ledger file (as two processes would), against the scripted model, until a namespace's
// daily budget refuses them all. Holds make the check and the charge one step, so the total
// overshoots the budget by at most one call (each call's hold covers its cost here), far inside
// the bound of one call in flight per run; the ledger, reopened, still holds every call.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { type BudgetLimit, costUsd, DEFAULT_PRICE_TABLE, type RunGrant } from '@paddock/core';
import { closeServer, listen } from '@paddock/http';
import { openSqliteUsageLedger } from '@paddock/store-sqlite';
import { startScriptedLlm } from '@paddock/testkit';
import { BUDGET_LIMIT_HEADER, startOfUtcDay, worstCaseCall } from './budget.ts';
import { createGateway } from './gateway.ts';
import { REAL_KEY, startGatewayFixture } from './gateway-fixture.ts';
import { createRunTokens } from './run-tokens.ts';

const RUNS = 20;
const BUDGET_USD = 0.1;
// 1000 tokens in, 200 out at $3 / $15 per million: $0.006 a call, the most any call costs here.
const CALL_USD = 0.006;
const MODEL = 'claude-sonnet-4-6';
// A prompt of over 4000 bytes with max_tokens 200: each hold (the body at 4 bytes a token, the
// output limit) is at least the call's real cost.
const ask = {
  model: MODEL,
  max_tokens: 200,
  messages: [{ role: 'user' as const, content: `Fix the bug. ${'context '.repeat(520)}` }],
};

describe('gateway budgets under concurrency', () => {
  it('holds 20 concurrent runs on two gateways to a daily budget, plus at most one call', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'paddock-budget-race-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'paddock.db');
    const llm = await startScriptedLlm({
      requireKey: REAL_KEY,
      script: () => ({
        text: 'ok',
        usage: { inputTokens: 1000, outputTokens: 200 },
        chunkDelayMs: 2,
      }),
    });
    t.after(() => llm.close());
    const tokens = createRunTokens(randomBytes(32));
    const exceeded: Array<{ grant: RunGrant; limit: BudgetLimit }> = [];
    const handling: Array<Promise<unknown>> = [];
    const gateways = await Promise.all(
      [0, 1].map(async () => {
        const ledger = await openSqliteUsageLedger({ path });
        const apiKey = async () => REAL_KEY;
        const gateway = createGateway({
          upstreams: { anthropic: { baseUrl: llm.url, apiKey } },
          prices: DEFAULT_PRICE_TABLE,
          tokens,
          ledger,
          limitsFor: async () => ({ namespaceDailyUsd: BUDGET_USD }),
          onBudgetExceeded: (grant, limit) => {
            exceeded.push({ grant, limit });
          },
        });
        const server = createServer((req, res) => {
          handling.push(gateway.handle(req, res, (req.url ?? '/').replace(/^\/gateway\//, '')));
        });
        const url = await listen(server, 0, '127.0.0.1');
        t.after(async () => {
          await closeServer(server);
          await ledger.close();
        });
        return `${url}/gateway/anthropic`;
      }),
    );

    const runs = await Promise.all(
      Array.from({ length: RUNS }, async (_, i) => {
        const grant = {
          runUid: `run-${i}`,
          namespace: 'team',
          runName: `run-${i}`,
          user: `user-${i % 4}`,
        };
        const client = new Anthropic({
          apiKey: tokens.issue(grant, 3_600_000),
          baseURL: gateways[i % 2],
          maxRetries: 0,
        });
        for (let calls = 0; ; calls++) {
          try {
            await client.messages.stream(ask).finalMessage();
          } catch (error) {
            assert.ok(error instanceof Anthropic.APIError, String(error));
            return { calls, status: error.status, limit: error.headers?.get(BUDGET_LIMIT_HEADER) };
          }
        }
      }),
    );

    // A call's record, callbacks and WAL sync come after its answer: wait until every call is done.
    await Promise.all(handling);
    // Every run ended refused by the daily budget, and was told so once.
    assert.deepEqual(
      runs.map((run) => [run.status, run.limit]),
      runs.map(() => [402, 'dailyUsd']),
    );
    assert.deepEqual(
      exceeded.map((e) => e.limit).sort(),
      runs.map(() => 'dailyUsd'),
    );
    const answered = runs.reduce((sum, run) => sum + run.calls, 0);
    assert.equal(llm.requests.length, answered, 'a refused call never reached the model');

    // Reopened (a restart): every call is there, and no hold is left behind.
    const reopened = await openSqliteUsageLedger({ path });
    try {
      const since = startOfUtcDay(new Date());
      const total = await reopened.totals({ namespace: 'team', since });
      assert.equal(total.calls, answered + RUNS);
      assert.ok(Math.abs(total.costUsd - answered * CALL_USD) < 1e-9, `${total.costUsd}`);
      assert.ok(total.costUsd >= BUDGET_USD, `the budget was used up: $${total.costUsd}`);
      assert.ok(
        total.costUsd <= BUDGET_USD + RUNS * CALL_USD,
        `at most one call in flight per run over: $${total.costUsd}`,
      );
      assert.ok(
        total.costUsd < BUDGET_USD + CALL_USD + 1e-9,
        `at most one call over the budget: $${total.costUsd} for $${BUDGET_USD}`,
      );
      const probe = await reopened.reserve(
        {
          id: 'probe',
          runUid: 'probe',
          namespace: 'team',
          runName: 'probe',
          user: 'probe',
          at: new Date().toISOString(),
          costUsd: 0,
          tokens: 0,
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
        },
        [{ scope: { namespace: 'team', since }, metric: 'costUsd', max: 0 }],
      );
      assert.deepEqual(probe, { isAdmitted: false, cap: 0, spent: total.costUsd, held: 0 });
    } finally {
      await reopened.close();
    }
  });

  it('holds each call to its max_tokens, so answers longer than usual cannot race past a budget', async (t) => {
    // Agents ask for long answers (Claude Code: max_tokens 32000) and usually get far less; here
    // every answer is 8000 tokens out, twice the 4096 a hold used to count at most.
    const budgetUsd = 0.5;
    const g = await startGatewayFixture({
      script: () => ({
        text: 'a long answer',
        usage: { inputTokens: 1000, outputTokens: 8000 },
        chunkDelayMs: 20,
      }),
      limits: { namespaceDailyUsd: budgetUsd },
    });
    t.after(() => g.close());
    const long = {
      ...ask,
      max_tokens: 32_000,
      messages: [{ role: 'user' as const, content: 'Go' }],
    };
    const callUsd = costUsd(DEFAULT_PRICE_TABLE, MODEL, { inputTokens: 1000, outputTokens: 8000 });
    const body = JSON.stringify({ ...long, stream: true });
    const holdUsd = costUsd(DEFAULT_PRICE_TABLE, MODEL, worstCaseCall(long, body.length));
    const runs = await Promise.all(
      Array.from({ length: RUNS }, async (_, i) => {
        const client = new Anthropic({
          apiKey: g.token({ runUid: `run-${i}`, runName: `run-${i}`, user: `user-${i % 4}` }),
          baseURL: `${g.url}/anthropic`,
          maxRetries: 0,
        });
        for (let calls = 0; ; calls++) {
          try {
            await client.messages.stream(long).finalMessage();
          } catch (error) {
            assert.ok(error instanceof Anthropic.APIError, String(error));
            return { calls, status: error.status };
          }
        }
      }),
    );
    assert.deepEqual(
      runs.map((run) => run.status),
      runs.map(() => 402),
    );
    const answered = runs.reduce((sum, run) => sum + run.calls, 0);
    await g.waitForCalls(answered + RUNS);
    const spent = g.ledger.calls.reduce((sum, call) => sum + call.costUsd, 0);
    t.diagnostic(
      `${answered} calls of $${callUsd.toFixed(4)} spent $${spent.toFixed(4)} of $${budgetUsd} (hold $${holdUsd.toFixed(4)})`,
    );
    assert.ok(Math.abs(spent - answered * callUsd) < 1e-9, `${spent}`);
    assert.ok(spent >= budgetUsd, `the budget was used up: $${spent}`);
    // A call is let through while spent + held is below the budget, and holds its worst case:
    // the budget ends at most one worst case over, however many runs race.
    assert.ok(
      spent < budgetUsd + holdUsd,
      `at most one call's worst case ($${holdUsd.toFixed(4)}) over: $${spent} of $${budgetUsd}`,
    );
    assert.equal(g.ledger.reservations.size, 0);
  });
});
