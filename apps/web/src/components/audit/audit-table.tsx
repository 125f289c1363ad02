import type { AuditRecord } from '@paddock/api';
import { TableFrame } from '../table-frame.tsx';
import { ResultBadge } from './result-badge.tsx';

/**
 * Audit records as a table: TIME, ACTOR, ACTION, TARGET, RESULT and, unless `isCompact` (the
 * overview's recent events: time of day only), REQUEST; newest first as the API answers.
 */
export function AuditTable({
  records,
  caption = 'Audit log',
  isCompact = false,
}: {
  records: readonly AuditRecord[];
  caption?: string;
  isCompact?: boolean;
}) {
  return (
    <TableFrame label={caption}>
      <table className="audit-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Result</th>
            {isCompact ? null : <th scope="col">Request</th>}
          </tr>
        </thead>
        <tbody>
          {records.map((record) => (
            <tr key={record.id}>
              <td>
                <time dateTime={record.time}>
                  {isCompact
                    ? new Date(record.time).toLocaleTimeString()
                    : new Date(record.time).toLocaleString()}
                </time>
              </td>
              <td className="mono small">{record.actor}</td>
              <td className="mono small">{record.action}</td>
              <td className="mono small">{record.target}</td>
              <td>
                <ResultBadge result={record.result} code={record.code} />
              </td>
              {isCompact ? null : (
                <td
                  className="mono small"
                  title={record.sourceIp ? `from ${record.sourceIp}` : undefined}
                >
                  {record.requestId}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </TableFrame>
  );
}
