import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { ActiveRuns } from '../components/overview/active-runs.tsx';
import { countByPhase, PhaseChart } from '../components/overview/phase-chart.tsx';
import { RecentAudit } from '../components/overview/recent-audit.tsx';
import { SpendToday } from '../components/overview/spend-today.tsx';
import { WarmPools } from '../components/overview/warm-pools.tsx';
import { QueryView } from '../components/states.tsx';
import { useLiveKind } from '../lib/live.ts';
import { useSession } from '../lib/session.ts';
import './overview.css';

const REFRESH_MS = 10_000;

function Card({
  id,
  title,
  link,
  children,
}: {
  id: string;
  title: string;
  link?: { to: string; label: string };
  children: ReactNode;
}) {
  return (
    <section className="card overview-card" aria-labelledby={id}>
      <div className="overview-card-head">
        <h2 id={id}>{title}</h2>
        {link ? <Link to={link.to}>{link.label}</Link> : null}
      </div>
      {children}
    </section>
  );
}

/** The namespace at a glance: sandboxes, runs, spend, warm pools and the latest audit events. */
export function OverviewPage(_props: { params: Record<string, string> }) {
  const { client, namespace } = useSession();
  const sandboxesKey = ['Sandbox', namespace, 'list', 'overview'];
  const runsKey = ['Run', namespace, 'list', 'overview'];
  useLiveKind('Sandbox', sandboxesKey);
  useLiveKind('Run', runsKey);
  const sandboxes = useQuery({
    queryKey: sandboxesKey,
    queryFn: ({ signal }) => client.resources('Sandbox').list({ signal }),
  });
  const runs = useQuery({
    queryKey: runsKey,
    queryFn: ({ signal }) => client.resources('Run').list({ signal }),
  });
  const usage = useQuery({
    queryKey: ['usage', namespace, 'today'],
    queryFn: ({ signal }) => client.usage({ namespace }, { signal }),
    refetchInterval: REFRESH_MS,
  });
  const policy = useQuery({
    queryKey: ['policy', namespace, 'effective'],
    queryFn: ({ signal }) => client.policy.effective({ signal }),
    refetchInterval: REFRESH_MS,
  });
  const pools = useQuery({
    queryKey: ['warmpools'],
    queryFn: ({ signal }) => client.warmPools({ signal }),
    refetchInterval: REFRESH_MS,
  });
  const audit = useQuery({
    queryKey: ['audit', 'recent'],
    queryFn: ({ signal }) => client.audit.list({ limit: 8 }, { signal }),
    refetchInterval: REFRESH_MS,
  });

  return (
    <>
      <PageHeader title="Overview">
        <Link to="/sandboxes/new" className="button primary">
          New sandbox
        </Link>
      </PageHeader>
      <div className="grid overview-grid">
        <Card
          id="overview-sandboxes"
          title="Sandboxes"
          link={{ to: '/sandboxes', label: 'All sandboxes' }}
        >
          <QueryView query={sandboxes} what="Loading sandboxes">
            {(list) => <PhaseChart counts={countByPhase(list.items.map((s) => s.status?.phase))} />}
          </QueryView>
        </Card>
        <Card id="overview-runs" title="Active runs" link={{ to: '/runs', label: 'All runs' }}>
          <QueryView query={runs} what="Loading runs">
            {(list) => <ActiveRuns runs={list.items} />}
          </QueryView>
        </Card>
        <Card
          id="overview-spend"
          title="Spend today"
          link={{ to: '/governance', label: 'Budgets' }}
        >
          <QueryView query={usage} what="Loading usage">
            {(report) => <SpendToday usage={report} policy={policy.data} />}
          </QueryView>
        </Card>
        <Card
          id="overview-pools"
          title="Warm pools"
          link={{ to: '/templates', label: 'Templates' }}
        >
          <QueryView query={pools} what="Loading warm pools">
            {(list) => <WarmPools pools={list.items} />}
          </QueryView>
        </Card>
      </div>
      <Card
        id="overview-audit"
        title="Recent audit events"
        link={{ to: '/audit', label: 'Audit log' }}
      >
        <QueryView query={audit} what="Loading audit events">
          {(list) => <RecentAudit records={list.items} />}
        </QueryView>
      </Card>
    </>
  );
}
