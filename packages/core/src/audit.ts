import { z } from 'zod';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { ErrorCode, PaddockError } from './errors.ts';

/**
 * Well-known audit actions. The set is open (any dotted lowercase name is accepted, e.g.
 * `template.update`), but these are the names the server writes.
 */
export const AuditAction = {
  SandboxCreate: 'sandbox.create',
  SandboxUpdate: 'sandbox.update',
  SandboxDelete: 'sandbox.delete',
  SandboxExec: 'sandbox.exec',
  TerminalOpen: 'terminal.open',
  TerminalClose: 'terminal.close',
  Preview: 'preview',
  ApiKeyCreate: 'apikey.create',
  ApiKeyRevoke: 'apikey.revoke',
  ApiKeyUse: 'apikey.use',
  AuthFailure: 'auth.failure',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/** How the audited request ended: done, failed, or refused (authorization or policy). */
export const AuditResult = { Success: 'success', Failure: 'failure', Denied: 'denied' } as const;
export type AuditResult = (typeof AuditResult)[keyof typeof AuditResult];

const ActionName = z
  .string()
  .max(100)
  .regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/, 'must be a dotted lowercase name');

/** What was acted on: a resource (`{kind, namespace, name}`, each part optional) or free text. */
export const AuditTarget = z.union([
  z.strictObject({
    kind: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
  }),
  z.string().min(1),
]);
export type AuditTarget = z.infer<typeof AuditTarget>;

/**
 * One audit entry. `time` is RFC 3339 with an offset; `actor` is the principal id (`anonymous`,
 * or `unknown` for a failed authentication); `status` is the HTTP status when there is one;
 * `details` is any JSON (never a secret).
 */
export const AuditRecord = z.strictObject({
  id: z.string().min(1).max(200),
  time: z.iso.datetime({ offset: true }),
  requestId: z.string().max(200),
  actor: z.string().min(1).max(500),
  action: ActionName,
  target: AuditTarget,
  result: z.enum(AuditResult),
  status: z.int().min(100).max(599).optional(),
  message: z.string().max(10_000).optional(),
  details: z.json().optional(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

/** Upper bound of `AuditQuery.limit`; the default page size is 100. */
export const MAX_AUDIT_PAGE = 1000;

/**
 * Filters of `AuditLog.query`, all combined with AND. `since` is inclusive and `until` exclusive
 * (RFC 3339). A string `target` matches free-text targets exactly; an object `target` matches
 * resource targets whose given parts are all equal. `continue` is the opaque token of a
 * previous page (same filters).
 */
export const AuditQuery = z.strictObject({
  actor: z.string().min(1).optional(),
  action: ActionName.optional(),
  target: AuditTarget.optional(),
  result: z.enum(AuditResult).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.int().min(1).max(MAX_AUDIT_PAGE).default(100),
  continue: z.string().min(1).optional(),
});
export type AuditQuery = z.input<typeof AuditQuery>;

/**
 * What an audit `continue` token carries: where the next page starts, strictly older than the
 * last record returned (`timeMs`, then the log's own `seq`). Each store turns it into its SQL.
 */
export const AuditCursor = z.strictObject({
  v: z.literal(1),
  timeMs: z.int(),
  seq: z.int().positive(),
});
export type AuditCursor = z.infer<typeof AuditCursor>;

/** Encodes a cursor as an opaque base64url `continue` token. */
export function encodeAuditCursor(cursor: AuditCursor): string {
  return encodeBase64Url(new TextEncoder().encode(JSON.stringify(cursor)));
}

/** Decodes a `continue` token; anything but a token of a previous audit page is `validation_failed`. */
export function decodeAuditCursor(text: string): AuditCursor {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(decodeBase64Url(text)));
  } catch {
    value = undefined;
  }
  const result = AuditCursor.safeParse(value);
  if (!result.success) {
    const message = 'is not a continue token from a previous audit query';
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid continue token: ${message}`, {
      issues: [{ path: 'continue', message }],
    });
  }
  return result.data;
}

export type AuditPage = {
  /** Newest first. */
  items: AuditRecord[];
  /** Present when older matching records remain. */
  continue?: string;
};

/**
 * The audit log seam (SQLite locally; PostgreSQL later).
 * - `append` validates the record (`validation_failed`) and returns only once it is durably
 *   committed; a duplicate `id` is `already_exists`.
 * - `query` returns matching records newest first, in pages of `limit`; a bad filter or a
 *   forged `continue` token is `validation_failed`.
 * - `prune` deletes records older than `olderThan` (the retention setting) and returns how many.
 * - `follow` yields every record appended after it was called, in append order, each as soon as
 *   its `append` commits (pushed, never polled), until `signal` aborts or the log closes (the
 *   iterator then ends without an error).
 */
export interface AuditLog {
  append(record: AuditRecord): Promise<void>;
  query(query?: AuditQuery): Promise<AuditPage>;
  prune(olderThan: Date): Promise<number>;
  follow(signal: AbortSignal): AsyncIterable<AuditRecord>;
  close(): Promise<void>;
}
