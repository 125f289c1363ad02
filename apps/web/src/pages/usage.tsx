import type { UsageGroupBy } from '@paddock/api';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { PageHeader } from '../components/layout.tsx';
import { QueryView } from '../components/states.tsx';
import { BurnDown } from '../components/usage/burn-down.tsx';
import { TopSpenders } from '../components/usage/top-spenders.tsx';
import { UsageChart } from '../components/usage/usage-chart.tsx';
import {
  seriesOf,
  USAGE_WINDOWS,
  type UsageWindowId,
  windowOf,
} from '../components/usage/usage-model.ts';
import { tokens, usd } from '../lib/format.ts';
import { useSession } from '../lib/session.ts';
import './usage.css';

const GROUP_BY: ReadonlyArray<{ id: UsageGroupBy; label: string }> = [
  { id: 'namespace', label: 'Namespace' },
  { id: 'user', label: 'User' },
  { id: 'agent', label: 'Agent' },
  { id: 'model', label: 'Model' },
];

const REFRESH_MS = 30_000;

/**
 * Cost and usage from the gateway's ledger: cost per day stacked by namespace, user, agent or
 * model, the top spenders, and each daily budget's burn-down today. Admins see everyone's usage,
 * users their own.
 */
export function UsagePage(_props: { params: Record<string, string> }) {
  const { client, namespace } = useSession();
  const [windowId, setWindowId] = useState<UsageWindowId>('7d');
  const [groupBy, setGroupBy] = useState<UsageGroupBy>('model');
  const [isAllNamespaces, setAllNamespaces] = useState(true);
  const days = USAGE_WINDOWS.find((w) => w.id === windowId)?.days ?? 7;
  const scope = isAllNamespaces ? undefined : namespace;
  const usage = useQuery({
    queryKey: ['usage', 'page', windowId, groupBy, scope ?? '*'],
    queryFn: ({ signal }) =>
      client.usage(
        {
          ...windowOf(days, Date.now()),
          groupBy,
          ...(scope === undefined ? {} : { namespace: scope }),
        },
        { signal },
      ),
    refetchInterval: REFRESH_MS,
  });

  return (
    <>
      <PageHeader title="Usage and cost" />
      <form className="usage-controls" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="usage-window">Window</label>
          <select
            id="usage-window"
            value={windowId}
            onChange={(e) => setWindowId(e.target.value as UsageWindowId)}
          >
            {USAGE_WINDOWS.map((w) => (
              <option key={w.id} value={w.id}>
                {w.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="usage-group">Split by</label>
          <select
            id="usage-group"
            value={groupBy}
            onChange={(e) => setGroupBy(e.target.value as UsageGroupBy)}
          >
            {GROUP_BY.map((g) => (
              <option key={g.id} value={g.id}>
                {g.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="usage-scope">Namespaces</label>
          <select
            id="usage-scope"
            value={isAllNamespaces ? 'all' : 'current'}
            onChange={(e) => setAllNamespaces(e.target.value === 'all')}
          >
            <option value="all">All</option>
            <option value="current">{namespace} only</option>
          </select>
        </div>
      </form>
      <QueryView query={usage} what="Loading usage">
        {(report) => {
          const series = seriesOf(report);
          return (
            <>
              <section className="card usage-totals" aria-label="Totals">
                <dl>
                  <div>
                    <dt>Cost</dt>
                    <dd data-total-cost={report.total.costUsd}>{usd(report.total.costUsd)}</dd>
                  </div>
                  <div>
                    <dt>Model calls</dt>
                    <dd>{report.total.calls}</dd>
                  </div>
                  <div>
                    <dt>Tokens in / out</dt>
                    <dd>
                      {tokens(report.total.inputTokens)} / {tokens(report.total.outputTokens)}
                    </dd>
                  </div>
                  <div>
                    <dt>Runs</dt>
                    <dd>{report.total.runs}</dd>
                  </div>
                  <div>
                    <dt>Sandbox time</dt>
                    <dd>{Math.round(report.total.sandboxSeconds / 60)} min</dd>
                  </div>
                </dl>
              </section>
              <section className="card" aria-labelledby="usage-by-day">
                <h2 id="usage-by-day">Cost per day</h2>
                <UsageChart report={report} series={series} />
              </section>
              <section aria-labelledby="usage-spenders">
                <h2 id="usage-spenders">Top spenders</h2>
                {(report.groups ?? []).length === 0 ? (
                  <p className="muted">No model calls in this window.</p>
                ) : (
                  <TopSpenders report={report} groupBy={groupBy} />
                )}
              </section>
              <section aria-labelledby="usage-budgets">
                <h2 id="usage-budgets">Daily budgets</h2>
                {report.budgets.length === 0 ? (
                  <p className="muted">
                    No daily budget applies (set maxUsdPerNamespacePerDay or maxUsdPerUserPerDay in
                    a Policy).
                  </p>
                ) : (
                  <div className="usage-budgets">
                    {report.budgets.map((b) => (
                      <BurnDown key={`${b.scope}/${b.key}`} budget={b} />
                    ))}
                  </div>
                )}
              </section>
            </>
          );
        }}
      </QueryView>
    </>
  );
}
