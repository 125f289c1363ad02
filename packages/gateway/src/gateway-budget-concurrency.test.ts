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
import { type BudgetLimit, DEFAULT_PRICE_TABLE, type RunGrant } from '@paddock/core';
import { closeServer, listen } from '@paddock/http';
import { openSqliteUsageLedger } from '@paddock/store-sqlite';
import { startScriptedLlm } from '@paddock/testkit';
import { BUDGET_LIMIT_HEADER, startOfUtcDay } from './budget.ts';
import { createGateway } from './gateway.ts';
import { REAL_KEY } from './gateway-fixture.ts';
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
});
