import type { AuditRecord } from '@paddock/api';
import { ResultBadge } from './result-badge.tsx';

/** The audit log: TIME, ACTOR, ACTION, TARGET, RESULT, REQUEST; newest first as the API answers. */
export function AuditTable({ records }: { records: readonly AuditRecord[] }) {
  return (
    <div className="table-wrap">
      <table className="audit-table">
        <caption className="visually-hidden">Audit log</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Result</th>
            <th scope="col">Request</th>
          </tr>
        </thead>
        <tbody>
          {records.map((record) => (
            <tr key={record.id}>
              <td>
                <time dateTime={record.time}>{new Date(record.time).toLocaleString()}</time>
              </td>
              <td className="mono small">{record.actor}</td>
              <td className="mono small">{record.action}</td>
              <td className="mono small">{record.target}</td>
              <td>
                <ResultBadge result={record.result} code={record.code} />
              </td>
              <td
                className="mono small"
                title={record.sourceIp ? `from ${record.sourceIp}` : undefined}
              >
                {record.requestId}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
