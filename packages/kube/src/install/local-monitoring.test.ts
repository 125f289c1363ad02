import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promqlSeriesNames } from '@paddock/testkit';
import { parse } from 'yaml';
import { LOCAL_MONITORING_DIR, localMonitoringFiles, localRuleFile } from './local-monitoring.ts';
import { prometheusRule } from './monitoring.ts';
import { resolveValues } from './values.ts';

describe('deploy/monitoring', () => {
  it('holds what `npm run monitoring` writes', () => {
    for (const [file, text] of localMonitoringFiles()) {
      const committed = readFileSync(join(LOCAL_MONITORING_DIR, file), 'utf8');
      const stale = `deploy/monitoring/${file} is stale: run npm run monitoring`;
      // Biome lays out JSON files: compare their values.
      if (file.endsWith('.json')) assert.deepEqual(JSON.parse(committed), JSON.parse(text), stale);
      else assert.equal(committed, text, stale);
    }
  });

  it('has a rule file Prometheus reads: every alert named once, valid PromQL, a for and a severity', () => {
    const file = parse(readFileSync(join(LOCAL_MONITORING_DIR, 'paddock-rules.yml'), 'utf8'));
    assert.deepEqual(file, JSON.parse(JSON.stringify(localRuleFile())));
    const rules = localRuleFile().groups.flatMap((g) => g.rules);
    assert.deepEqual(
      rules.map((r) => r.alert),
      [
        'PaddockServerDown',
        'PaddockSandboxesStuckCreating',
        'PaddockWarmPoolEmpty',
        'PaddockBudgetNearLimit',
        'PaddockRunFailureRate',
        'PaddockDiskAlmostFull',
      ],
    );
    for (const rule of rules) {
      assert.ok(promqlSeriesNames(rule.expr).length > 0, rule.alert);
      assert.match(rule.for, /^\d+[smh]$/);
      assert.match(rule.labels.severity, /^(warning|critical)$/);
    }
    const prometheus = parse(readFileSync(join(LOCAL_MONITORING_DIR, 'prometheus.yml'), 'utf8'));
    assert.deepEqual(prometheus.rule_files, ['paddock-rules.yml']);
    assert.equal(prometheus.scrape_configs[0].job_name, 'paddock');
  });

  it('shares its server rules with the cluster install, selected by namespace there', () => {
    const cluster = prometheusRule(resolveValues({})) as unknown as {
      spec: { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
    };
    const clusterRules = cluster.spec.groups.flatMap((g) => g.rules);
    for (const rule of localRuleFile().groups.flatMap((g) => g.rules)) {
      const twin = clusterRules.find((r) => r.alert === rule.alert);
      if (twin === undefined) continue;
      assert.equal(twin.expr.replaceAll('namespace="paddock-system"', 'job="paddock"'), rule.expr);
      assert.ok(promqlSeriesNames(twin.expr).length > 0);
    }
    assert.ok(clusterRules.some((r) => r.alert === 'PaddockRunFailureRate'));
  });
});
