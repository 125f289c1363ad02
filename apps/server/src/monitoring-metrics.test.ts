// The alert rules and dashboards against the metrics a real server exports: every series name
// each rule expression and each panel query selects must be in a scrape of /metrics (or be one
// Prometheus makes up itself, like `up`). Names are read with Prometheus's own PromQL grammar.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  LOCAL_MONITORING_DIR,
  localAlertRules,
  runFailureRule,
  serverAlertRules,
  serverPanels,
} from '@paddock/kube';
import {
  bwrapSkipReason,
  eventually,
  exposedSeriesNames,
  promqlSeriesNames,
  SYNTHETIC_SERIES,
} from '@paddock/testkit';
import { API, startTestServer, type TestServer } from './test-server.ts';

type Dashboard = {
  templating: { list: Array<{ name: string; query?: string }> };
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};

describe('monitoring rules and dashboards name only exported series', () => {
  let s: TestServer;
  let exported: Set<string>;

  before(async () => {
    s = await startTestServer();
    await s.engine.store.create({
      apiVersion: API,
      kind: 'Policy',
      metadata: { name: 'default', namespace: 'team' },
      spec: { budgets: { maxUsdPerNamespacePerDay: 10 } },
    });
    const res = await s.call('/metrics');
    assert.equal(res.status, 200);
    exported = new Set([...exposedSeriesNames(await res.text()), ...SYNTHETIC_SERIES]);
  });
  after(() => s.close());

  const missing = (expr: string) => promqlSeriesNames(expr).filter((n) => !exported.has(n));

  it('exports the series the local rules need: disk, run outcomes, budgets', () => {
    for (const name of [
      'paddock_home_filesystem_avail_bytes',
      'paddock_home_filesystem_size_bytes',
      'paddock_runs_finished_total',
      'paddock_runs',
      'paddock_budget_namespace_spent_today_usd',
      'paddock_sandboxes',
    ]) {
      assert.ok(exported.has(name), name);
    }
    assert.deepEqual(missing('paddock_no_such_series / up'), ['paddock_no_such_series']);
  });

  it('every rule of deploy/monitoring/paddock-rules.yml', () => {
    for (const rule of localAlertRules()) assert.deepEqual(missing(rule.expr), [], rule.alert);
  });

  it('every panel and variable of deploy/monitoring/grafana-dashboard.json (the committed file)', () => {
    const dashboard = JSON.parse(
      readFileSync(join(LOCAL_MONITORING_DIR, 'grafana-dashboard.json'), 'utf8'),
    ) as Dashboard;
    assert.ok(dashboard.panels.length >= 10);
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) assert.deepEqual(missing(target.expr), [], panel.title);
    }
    for (const variable of dashboard.templating.list) {
      const metric = /^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*),/.exec(variable.query ?? '')?.[1];
      if (metric !== undefined) assert.ok(exported.has(metric), `variable ${variable.name}`);
    }
  });

  it("the cluster install's server rules and server panels too", () => {
    const sel = 'namespace="paddock-system"';
    const thresholds = { stuckCreatingFor: '10m', warmPoolEmptyFor: '5m', budgetNearRatio: 0.8 };
    for (const rule of [...serverAlertRules(sel, thresholds), runFailureRule(sel)]) {
      assert.deepEqual(missing(rule.expr), [], rule.alert);
    }
    for (const panel of serverPanels(`{${sel}}`)) {
      for (const [expr] of panel.targets) assert.deepEqual(missing(expr), [], panel.title);
    }
  });

  it('counts a run that reaches an outcome, by its phase', {
    skip: bwrapSkipReason(),
  }, async () => {
    const count = async (phase: string) => {
      const text = await (await s.call('/metrics')).text();
      const line = new RegExp(`^paddock_runs_finished_total\\{phase="${phase}"\\} (\\d+)$`, 'm');
      return Number(line.exec(text)?.[1]);
    };
    assert.equal(await count('Cancelled'), 0);
    const created = await s.call('/api/v1/namespaces/default/runs', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Run',
        metadata: { name: 'cancel-me' },
        spec: { agent: { harness: { kind: 'command', command: ['sleep', '60'] } }, prompt: 'x' },
      }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const cancel = await s.call('/api/v1/namespaces/default/runs/cancel-me/cancel', {
      method: 'POST',
    });
    assert.ok(cancel.status < 300, await cancel.clone().text());
    await eventually(async () => ((await count('Cancelled')) === 1 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the cancelled run counted',
    });
    assert.equal(await count('Failed'), 0);
  });
});
