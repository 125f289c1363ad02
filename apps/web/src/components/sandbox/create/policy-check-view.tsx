import type { PolicyCheckResult } from '@paddock/api';

/** Every violation of a policy dry run, or an announced "No violations". */
export function PolicyCheckView({ result }: { result: PolicyCheckResult }) {
  if (result.violations.length === 0) {
    return (
      <p role="status" className="policy-ok">
        <span className="badge ok">OK</span> No violations
      </p>
    );
  }
  return (
    <>
      <p role="status" className="form-error">
        {result.violations.length === 1 ? '1 violation' : `${result.violations.length} violations`}{' '}
        — this sandbox would be refused.
      </p>
      <ul className="violations">
        {result.violations.map((v) => (
          <li key={`${v.code}:${v.field}:${v.message}`}>
            <span className="badge bad">{v.code}</span> <code>{v.field}</code> {v.message}
          </li>
        ))}
      </ul>
    </>
  );
}
