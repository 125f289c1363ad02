import { Timestamp } from '@paddock/core';
import { z } from 'zod';
import { ListMeta } from './list.ts';

export const AuditResult = z.enum(['success', 'failure', 'denied']);

/** One audit record: who did what to which target, the outcome, when, and the request id. */
export const AuditRecord = z.object({
  id: z.string(),
  time: z.string(),
  requestId: z.string(),
  /** `user:<id>`, `apikey:<id>`, `anonymous`, `system`. */
  actor: z.string(),
  /** `sandbox.create`, `sandbox.exec`, `terminal.open`, `preview.open`, `auth.failure`, … */
  action: z.string(),
  /** `Sandbox/default/my-box`, `ApiKey/<id>`, … */
  target: z.string(),
  result: AuditResult,
  /** The error code of a failed or denied request. */
  code: z.string().optional(),
  sourceIp: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

/** Filters of the audit query; newest first, paginated like every list. */
export const AuditQuery = z.strictObject({
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  result: AuditResult.optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  continue: z.string().min(1).optional(),
});
export type AuditQuery = z.output<typeof AuditQuery>;

export const AuditList = z.object({
  kind: z.literal('AuditRecordList'),
  metadata: ListMeta,
  items: z.array(AuditRecord),
});
export type AuditList = z.infer<typeof AuditList>;
