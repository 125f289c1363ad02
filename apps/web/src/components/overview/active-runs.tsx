import { isTerminalRunPhase, type Run, RunPhase } from '@paddock/core';
import { age } from '../../lib/format.ts';
import { Link } from '../link.tsx';
import { Empty } from '../states.tsx';

/** Runs not yet finished, newest first. */
export function activeRuns(runs: readonly Run[]): Run[] {
  return runs
    .filter((run) => !isTerminalRunPhase(run.status?.phase ?? RunPhase.Pending))
    .sort((a, b) =>
      (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
    );
}

/** The number of active runs and the five newest, linked to their pages. */
export function ActiveRuns({ runs }: { runs: readonly Run[] }) {
  const active = activeRuns(runs);
  return (
    <>
      <p className="stat">
        {active.length} <span className="muted small">active</span>
      </p>
      {active.length === 0 ? (
        <Empty title="No active runs" />
      ) : (
        <ul className="plain-list">
          {active.slice(0, 5).map((run) => (
            <li key={run.metadata.name}>
              <Link to={`/runs/${encodeURIComponent(run.metadata.name ?? '')}`}>
                {run.metadata.name}
              </Link>{' '}
              <span className="badge">{run.status?.phase ?? RunPhase.Pending}</span>{' '}
              <span className="muted small">{age(run.metadata.creationTimestamp)} ago</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
