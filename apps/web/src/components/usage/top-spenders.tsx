import type { UsageGroupBy, UsageReport } from '@paddock/api';
import { tokens, usd } from '../../lib/format.ts';
import { TableFrame } from '../table-frame.tsx';
import { keyLabel } from './usage-model.ts';

const HEADINGS: Record<UsageGroupBy, string> = {
  namespace: 'Namespace',
  user: 'User',
  agent: 'Agent',
  model: 'Model',
};

/** Every key of the window, the top spender first, with its share of the total cost. */
export function TopSpenders({ report, groupBy }: { report: UsageReport; groupBy: UsageGroupBy }) {
  const groups = report.groups ?? [];
  const total = report.total.costUsd;
  // Runs and sandboxes are not split by model (a run may call several).
  const hasRuns = groupBy !== 'model';
  return (
    <TableFrame label="Top spenders">
      <table className="usage-spenders">
        <thead>
          <tr>
            <th scope="col">{HEADINGS[groupBy]}</th>
            <th scope="col">Cost</th>
            <th scope="col">Share</th>
            <th scope="col">Calls</th>
            <th scope="col">Tokens in / out</th>
            {hasRuns ? <th scope="col">Runs</th> : null}
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => {
            const share = total > 0 ? g.usage.costUsd / total : 0;
            return (
              <tr key={g.key} data-key={g.key} data-cost={g.usage.costUsd}>
                <th scope="row">{keyLabel(g.key)}</th>
                <td>{usd(g.usage.costUsd)}</td>
                <td>
                  <span className="usage-share" aria-hidden="true">
                    <span style={{ width: `${Math.round(share * 100)}%` }} />
                  </span>
                  {Math.round(share * 100)}%
                </td>
                <td>{g.usage.calls}</td>
                <td>
                  {tokens(g.usage.inputTokens)} / {tokens(g.usage.outputTokens)}
                </td>
                {hasRuns ? <td>{g.usage.runs}</td> : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableFrame>
  );
}
