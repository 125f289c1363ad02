/**
 * Paddock's alert rules on the server's own metrics (`/metrics`), shared by the PrometheusRule of
 * a cluster install and the rule file of a single machine (`deploy/monitoring/`). A selector picks
 * the server's series: `namespace="paddock-system"` on a cluster, `job="paddock"` on one machine.
 */

/** One Prometheus alerting rule, as in a rule file and a PrometheusRule's `spec.groups[].rules`. */
export type AlertRule = {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
};

export function alertRule(
  alert: string,
  expr: string,
  forDuration: string,
  severity: string,
  summary: string,
  description: string,
): AlertRule {
  return {
    alert,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary, description },
  };
}

/** What the shared rules are tuned by (the install's `monitoring` values). */
export type AlertThresholds = {
  stuckCreatingFor: string;
  warmPoolEmptyFor: string;
  /** A namespace's spend today past this share of its daily budget alerts (0.8). */
  budgetNearRatio: number;
};

/** Past this share of failed or timed-out runs among those finished in the last hour, alert. */
export const RUN_FAILURE_RATIO = 0.25;

/** Sandboxes stuck in Creating, an empty warm pool, a budget near its limit, runs failing. */
export function serverAlertRules(selector: string, t: AlertThresholds): AlertRule[] {
  const sel = selector;
  return [
    alertRule(
      'PaddockSandboxesStuckCreating',
      `max(paddock_sandboxes{${sel},phase="Creating"}) > 0`,
      t.stuckCreatingFor,
      'warning',
      'Sandboxes stay in Creating',
      'Some sandboxes have been Creating for a long time: see the Warning events of their Sandbox (its timeline in the UI; kubectl get events on a cluster).',
    ),
    alertRule(
      'PaddockWarmPoolEmpty',
      `max by (template) (paddock_warm_pool_ready{${sel}}) == 0`,
      t.warmPoolEmptyFor,
      'warning',
      'A warm pool has no ready sandbox',
      'The warm pool of template {{ $labels.template }} has no ready entry: creates start cold.',
    ),
    alertRule(
      'PaddockBudgetNearLimit',
      `max by (paddock_namespace) (paddock_budget_namespace_spent_today_usd{${sel}}) / max by (paddock_namespace) (paddock_budget_namespace_daily_limit_usd{${sel}}) > ${t.budgetNearRatio}`,
      '5m',
      'warning',
      'A namespace is near its daily model budget',
      'Namespace {{ $labels.paddock_namespace }} has spent {{ $value | humanizePercentage }} of its daily budget: runs are refused past it.',
    ),
  ];
}

/** Runs failing: failed or timed-out runs among all that finished in the last hour. */
export function runFailureRule(selector: string): AlertRule {
  return alertRule(
    'PaddockRunFailureRate',
    `sum(increase(paddock_runs_finished_total{${selector},phase=~"Failed|TimedOut"}[1h])) / sum(increase(paddock_runs_finished_total{${selector}}[1h])) > ${RUN_FAILURE_RATIO}`,
    '15m',
    'warning',
    'Many runs fail',
    '{{ $value | humanizePercentage }} of the runs that finished in the last hour failed or timed out: see their transcripts (paddock run get, the Runs page).',
  );
}
