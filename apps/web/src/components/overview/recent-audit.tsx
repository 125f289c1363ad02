import type { AuditRecord } from '@paddock/api';
import { AuditTable } from '../audit/audit-table.tsx';
import { Empty } from '../states.tsx';

/** The latest audit records as a compact table. */
export function RecentAudit({ records }: { records: readonly AuditRecord[] }) {
  if (records.length === 0) return <Empty title="No audit events yet" />;
  return <AuditTable records={records} caption="Recent audit events" isCompact />;
}
