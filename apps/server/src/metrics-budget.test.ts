import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API, startTestServer, type TestServer } from './test-server.ts';

describe('/metrics: daily budgets beside today’s spend', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('reports each namespace whose policy sets a daily budget, and no other', async () => {
    await s.engine.store.create({
      apiVersion: API,
      kind: 'Policy',
      metadata: { name: 'default', namespace: 'team' },
      spec: { budgets: { maxUsdPerNamespacePerDay: 10 } },
    });
    await s.engine.store.create({
      apiVersion: API,
      kind: 'Policy',
      metadata: { name: 'default', namespace: 'free' },
      spec: { budgets: { maxUsdPerRun: 1 } },
    });
    const metrics = await (await s.call('/metrics')).text();
    assert.match(
      metrics,
      /^paddock_budget_namespace_daily_limit_usd\{paddock_namespace="team"\} 10$/m,
    );
    assert.match(
      metrics,
      /^paddock_budget_namespace_spent_today_usd\{paddock_namespace="team"\} 0$/m,
    );
    assert.doesNotMatch(metrics, /paddock_namespace="free"/);
  });

  it('under a cluster-wide budget, also reports the namespaces that have Runs', async () => {
    await s.engine.store.create({
      apiVersion: API,
      kind: 'ClusterPolicy',
      metadata: { name: 'default' },
      spec: { budgets: { maxUsdPerNamespacePerDay: 5 } },
    });
    await s.engine.store.create({
      apiVersion: API,
      kind: 'Run',
      metadata: { name: 'r1', namespace: 'runs-only' },
      spec: { agentRef: { name: 'helper' }, prompt: 'hello', mode: 'task' },
    });
    // A Policy not named `default` counts its namespace in, but sets nothing.
    await s.engine.store.create({
      apiVersion: API,
      kind: 'Policy',
      metadata: { name: 'other', namespace: 'named' },
      spec: { budgets: { maxUsdPerNamespacePerDay: 99 } },
    });
    const metrics = await (await s.call('/metrics')).text();
    for (const [namespace, limit] of [
      ['runs-only', 5],
      ['named', 5],
      ['free', 5],
      ['team', 10],
    ] as const) {
      assert.match(
        metrics,
        new RegExp(
          `^paddock_budget_namespace_daily_limit_usd\\{paddock_namespace="${namespace}"\\} ${limit}$`,
          'm',
        ),
      );
    }
  });
});
