// The audit log contract lives in @paddock/core (so the SQL stores can implement it without
// depending on control); control re-exports it next to the rest of auth.
export type { AuditLog, AuditPage, AuditQuery, AuditTarget } from '@paddock/core';
export { AuditAction, AuditRecord, AuditResult, MAX_AUDIT_PAGE } from '@paddock/core';
