// The usage report against the gateway's ledger: runs of the built-in harness call a scripted
// model through the real gateway with the real Anthropic and OpenAI SDKs; the report's totals,
// days, groups and budget burn-down must equal the ledger's own rows, to the micro-dollar.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, type ScriptedLlm, startScriptedLlm } from '@paddock/testkit';
import { finishedRun } from './run-test-support.ts';
import { API, startTestServer, type TestServer } from './test-server.ts';

type Row = {
  namespace: string;
  user_id: string;
  agent: string | null;
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
  json: string;
};
type Totals = { costUsd: number; inputTokens: number; outputTokens: number; calls: number };

const micro = (usd: number) => Math.round(usd * 1e6) / 1e6;

function sum(rows: readonly Row[]): Totals {
  return {
    costUsd: micro(rows.reduce((s, r) => s + r.cost_usd, 0)),
    inputTokens: rows.reduce((s, r) => s + r.input_tokens, 0),
    outputTokens: rows.reduce((s, r) => s + r.output_tokens, 0),
    calls: rows.length,
  };
}

const pick = (t: Totals): Totals => ({
  costUsd: t.costUsd,
  inputTokens: t.inputTokens,
  outputTokens: t.outputTokens,
  calls: t.calls,
});

describe('usage report', { skip: bwrapSkipReason(), timeout: 180_000 }, () => {
  let llm: ScriptedLlm;
  let server: TestServer;
  let turn = 0;
  const startedMs = Date.now();

  before(async () => {
    llm = await startScriptedLlm({
      // Odd token counts, so costs are not round numbers.
      script: () => {
        turn += 1;
        return {
          text: `answer ${turn}`,
          usage: { inputTokens: 1_000 + 37 * turn, outputTokens: 11 * turn },
        };
      },
    });
    server = await startTestServer(
      { 'anthropic-base-url': llm.url, 'openai-base-url': `${llm.url}/v1` },
      { ANTHROPIC_API_KEY: 'sk-ant-test', OPENAI_API_KEY: 'sk-openai-test' },
    );
    const agent = await server.call('/api/v1/namespaces/default/agents', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Agent',
        metadata: { name: 'coder' },
        spec: { harness: { kind: 'builtin' }, provider: 'anthropic', model: 'claude-sonnet-4-5' },
      }),
    });
    assert.equal(agent.status, 201, await agent.clone().text());
    await server.engine.store.create({
      apiVersion: API,
      kind: 'Policy',
      metadata: { name: 'default', namespace: 'default' },
      spec: { budgets: { maxUsdPerNamespacePerDay: 50 } },
    });
    const runs: Array<[string, string, Record<string, unknown>]> = [
      ['by-agent', 'default', { agentRef: { name: 'coder' } }],
      ['by-agent-2', 'default', { agentRef: { name: 'coder' } }],
      [
        'inline-openai',
        'team',
        { agent: { harness: { kind: 'builtin' }, provider: 'openai', model: 'gpt-4o' } },
      ],
    ];
    for (const [name, namespace, spec] of runs) {
      const res = await server.call(`/api/v1/namespaces/${namespace}/runs`, {
        method: 'POST',
        body: JSON.stringify({
          apiVersion: API,
          kind: 'Run',
          metadata: { name },
          spec: { ...spec, prompt: 'say something' },
        }),
      });
      assert.equal(res.status, 201, await res.clone().text());
    }
    for (const [name, namespace] of runs) {
      const run = await finishedRun(server, name, namespace);
      assert.equal(run.status.phase, 'Succeeded', JSON.stringify(run.status));
    }
  });

  after(async () => {
    await server?.close();
    await llm?.close();
  });

  const ledgerRows = (): Row[] => {
    const db = new DatabaseSync(join(server.home, 'paddock.db'), { readOnly: true });
    try {
      return db.prepare('SELECT * FROM llm_calls').all() as Row[];
    } finally {
      db.close();
    }
  };

  const report = async (query: string) => {
    const res = await server.call(`/api/v1/usage?${query}`);
    assert.equal(res.status, 200, await res.clone().text());
    // biome-ignore lint/suspicious/noExplicitAny: the report as JSON, read field by field.
    return (await res.json()) as any;
  };

  const today = new Date(new Date().toISOString().slice(0, 10));
  const window = (days: number) =>
    `since=${new Date(today.getTime() - (days - 1) * 86_400_000).toISOString()}&until=${new Date(today.getTime() + 86_400_000).toISOString()}`;

  it('totals and days equal the ledger rows, to the micro-dollar', async () => {
    const rows = ledgerRows();
    assert.ok(rows.length >= 3, `ledger rows: ${rows.length}`);
    assert.ok(rows.every((r) => r.cost_usd > 0));
    const r = await report(window(7));
    assert.deepEqual(pick(r.total), sum(rows));
    assert.equal(r.total.runs, 3);
    // Sandbox time counts up to now, though the window runs to the end of today.
    const elapsedSeconds = (Date.now() - startedMs) / 1000;
    assert.ok(r.total.sandboxSeconds > 0);
    assert.ok(r.total.sandboxSeconds <= 3 * elapsedSeconds, `${r.total.sandboxSeconds} s`);
    assert.equal(r.days.length, 7);
    assert.deepEqual(r.days.at(-1).usage, sum(rows));
    assert.ok(r.days.slice(0, -1).every((d: { usage: Totals }) => d.usage.calls === 0));
  });

  it('groups by model, agent, namespace and user, each summing to the ledger', async () => {
    const rows = ledgerRows();
    const model = (row: Row) => (JSON.parse(row.json) as { model: string }).model;
    const keyed: Record<string, (row: Row) => string> = {
      model,
      agent: (row) => (row.agent === null ? '' : `${row.namespace}/${row.agent}`),
      namespace: (row) => row.namespace,
      user: (row) => row.user_id,
    };
    for (const [groupBy, keyOf] of Object.entries(keyed)) {
      const r = await report(`${window(1)}&groupBy=${groupBy}`);
      const expected = new Map<string, Row[]>();
      for (const row of rows) expected.set(keyOf(row), [...(expected.get(keyOf(row)) ?? []), row]);
      assert.deepEqual(
        new Map(r.groups.map((g: { key: string; usage: Totals }) => [g.key, pick(g.usage)])),
        new Map([...expected].map(([key, group]) => [key, sum(group)])),
        groupBy,
      );
      const costs = r.groups.map((g: { usage: Totals }) => g.usage.costUsd);
      assert.deepEqual(
        costs,
        [...costs].sort((a, b) => b - a),
        'top spender first',
      );
      const stack = r.days[0].stack.map((s: { key: string; costUsd: number }) => [
        s.key,
        s.costUsd,
      ]);
      assert.deepEqual(
        new Map(stack),
        new Map([...expected].map(([key, group]) => [key, sum(group).costUsd])),
      );
    }
    const byModel = await report(`${window(1)}&groupBy=model`);
    assert.deepEqual(byModel.groups.map((g: { key: string }) => g.key).sort(), [
      'claude-sonnet-4-5',
      'gpt-4o',
    ]);
  });

  it('burns down the namespace daily budget by the ledger’s spend', async () => {
    const rows = ledgerRows().filter((r) => r.namespace === 'default');
    const r = await report(`${window(1)}&namespace=default`);
    const budget = r.budgets.find((b: { scope: string }) => b.scope === 'namespace');
    assert.equal(budget.key, 'default');
    assert.equal(budget.limitUsd, 50);
    assert.equal(budget.spentUsd, sum(rows).costUsd);
    assert.equal(budget.burnDown.at(-1).remainingUsd, micro(50 - sum(rows).costUsd));
    assert.equal(budget.burnDown[0].hour, today.toISOString());
    assert.deepEqual(pick(r.total), sum(rows));
  });

  it('shows a user only their own calls, and no namespace budget', async () => {
    const created = await server.call('/api/v1/apikeys', {
      method: 'POST',
      body: JSON.stringify({ name: 'alice', owner: 'alice', role: 'user' }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { key } = (await created.json()) as { key: string };
    const owner = ledgerRows()[0]?.user_id ?? '';
    for (const query of [window(1), `${window(1)}&user=${encodeURIComponent(owner)}`]) {
      const res = await server.call(`/api/v1/usage?${query}&groupBy=user`, { token: key });
      assert.equal(res.status, 200, await res.clone().text());
      const r = (await res.json()) as { total: Totals; groups: unknown[]; budgets: unknown[] };
      assert.deepEqual(pick(r.total), { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 });
      assert.deepEqual(r.groups, []);
      assert.deepEqual(r.budgets, []);
    }
  });

  it('refuses a window whose until is not after since, naming the field', async () => {
    const since = new Date().toISOString();
    const until = new Date(Date.now() - 3_600_000).toISOString();
    const res = await server.call(`/api/v1/usage?since=${since}&until=${until}`);
    assert.equal(res.status, 400);
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { issues: Array<{ path: string }> } };
    };
    assert.equal(body.error.code, 'validation_failed');
    assert.deepEqual(
      body.error.details.issues.map((i) => i.path),
      ['query.until'],
    );
    const future = await server.call(
      `/api/v1/usage?since=${new Date(Date.now() + 86_400_000).toISOString()}`,
    );
    assert.equal(future.status, 400);
    assert.match(await future.text(), /query\.since/);
    const bad = await server.call('/api/v1/usage?groupBy=weekday');
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /groupBy/);
  });
});
