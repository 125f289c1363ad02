import type { AuditRecord } from '@paddock/api';
import { ResultBadge } from '../audit/result-badge.tsx';
import { Empty } from '../states.tsx';

/** The latest audit records as a compact table (time, actor, action, target, result). */
export function RecentAudit({ records }: { records: readonly AuditRecord[] }) {
  if (records.length === 0) return <Empty title="No audit events yet" />;
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Recent audit events</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {records.map((record) => (
            <tr key={record.id}>
              <td>
                <time dateTime={record.time}>{new Date(record.time).toLocaleTimeString()}</time>
              </td>
              <td className="mono small">{record.actor}</td>
              <td className="mono small">{record.action}</td>
              <td className="mono small">{record.target}</td>
              <td>
                <ResultBadge result={record.result} code={record.code} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
