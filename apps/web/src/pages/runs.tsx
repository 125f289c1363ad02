import { runPhases } from '@paddock/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { RunTable } from '../components/agent/run-table.tsx';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { Empty, QueryView } from '../components/states.tsx';
import { useLiveKind } from '../lib/live.ts';
import { useSession } from '../lib/session.ts';
import './agents.css';

/** Every run of the namespace, newest first, filtered by phase. Live. */
export function RunsPage(_props: { params: Record<string, string> }) {
  const { client, namespace } = useSession();
  const runs = useQuery({
    queryKey: ['Run', namespace, 'list'],
    queryFn: () => client.runs.list(),
  });
  useLiveKind('Run', ['Run', namespace]);
  const [phase, setPhase] = useState('');

  return (
    <>
      <PageHeader title="Runs">
        <Link to="/agents" className="button primary">
          Start a run from an agent
        </Link>
      </PageHeader>
      <div className="row filters">
        <label htmlFor="run-phase-filter">Phase</label>
        <select id="run-phase-filter" value={phase} onChange={(e) => setPhase(e.target.value)}>
          <option value="">All phases</option>
          {runPhases.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      <QueryView query={runs} what="Loading runs">
        {(list) => {
          const shown = phase
            ? list.items.filter((run) => (run.status?.phase ?? 'Pending') === phase)
            : list.items;
          if (list.items.length === 0) {
            return (
              <Empty title="No runs yet">
                Open an agent and press <strong>Run</strong>, or from the CLI:{' '}
                <code>paddock run AGENT "your prompt"</code>.
              </Empty>
            );
          }
          return (
            <>
              <p className="muted small" role="status">
                {shown.length} of {list.items.length} runs
              </p>
              {shown.length === 0 ? (
                <Empty title={`No ${phase} runs`} />
              ) : (
                <RunTable runs={shown} caption="Runs" />
              )}
            </>
          );
        }}
      </QueryView>
    </>
  );
}
