import type { Run } from '@paddock/core';
import { age, usd } from '../../lib/format.ts';
import { Link } from '../link.tsx';
import { TableFrame } from '../table-frame.tsx';
import { RunPhaseBadge } from '../transcript/run-phase-badge.tsx';

/** Runs, newest first: name, agent, phase, turns, tool calls, cost, age. */
export function RunTable({ runs, caption }: { runs: readonly Run[]; caption: string }) {
  const sorted = [...runs].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  );
  return (
    <TableFrame label={caption}>
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Agent</th>
            <th scope="col">Phase</th>
            <th scope="col">Turns</th>
            <th scope="col">Tool calls</th>
            <th scope="col">Cost</th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((run) => {
            const name = run.metadata.name ?? '';
            const agent = run.spec.agentRef?.name;
            const usage = run.status?.usage;
            return (
              <tr key={run.metadata.uid ?? name}>
                <td>
                  <Link to={`/runs/${encodeURIComponent(name)}`}>{name}</Link>
                </td>
                <td>
                  {agent ? (
                    <Link to={`/agents/${encodeURIComponent(agent)}`}>{agent}</Link>
                  ) : (
                    <span className="muted">inline</span>
                  )}
                </td>
                <td>
                  <RunPhaseBadge phase={run.status?.phase} />
                </td>
                <td>{usage?.turns ?? 0}</td>
                <td>{usage?.toolCalls ?? 0}</td>
                <td>{usd(usage?.costUsd ?? 0)}</td>
                <td>
                  <time dateTime={run.metadata.creationTimestamp}>
                    {age(run.metadata.creationTimestamp)}
                  </time>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableFrame>
  );
}
