import type { AuditRecord } from '@paddock/api';

const LEVEL: Record<AuditRecord['result'], string> = {
  success: 'badge ok',
  failure: 'badge bad',
  denied: 'badge warn',
};

/** An audit result as a badge with its text (and the error code of a failure or denial). */
export function ResultBadge({
  result,
  code,
}: {
  result: AuditRecord['result'];
  code?: string | undefined;
}) {
  return (
    <span className={LEVEL[result]} title={code}>
      {result}
      {code ? ` (${code})` : ''}
    </span>
  );
}
