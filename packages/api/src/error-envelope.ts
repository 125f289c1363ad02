import {
  ErrorCode,
  type ErrorDetails,
  isErrorCode,
  type JsonValue,
  PaddockError,
  Violation,
} from '@paddock/core';
import { z } from 'zod';

const errorCodes = Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]];

/** Any JSON value; the type of error `details` values. */
export const JsonValueSchema: z.ZodType<JsonValue> = z.json();

/**
 * The body of every error response: `{error: {code, message, details, requestId}}`.
 * - `validation_failed` (400): `details.issues` lists each invalid field as `{path, message}`.
 * - `policy_violation` (403): `details.violations` lists every violation (`{code, field, message}`).
 * - `conflict` (409): `details.currentResourceVersion` is the version the store holds.
 * `requestId` is also sent as the `x-request-id` header and recorded in the audit log.
 */
export const ErrorBody = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
  details: z.record(z.string(), JsonValueSchema),
  requestId: z.string(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const ErrorEnvelope = z.object({ error: ErrorBody });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

/** What `details` holds for a 400 `validation_failed`; documentation for the OpenAPI document. */
export const ValidationDetails = z.object({
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
});

/** What `details` holds for a 403 `policy_violation`. */
export const PolicyViolationDetails = z.object({ violations: z.array(Violation) });

/** What `details` holds for a 409 `conflict`. */
export const ConflictDetails = z.object({ currentResourceVersion: z.string() });

/** The wire form of an error. `details` must already be JSON-safe (PaddockError guarantees it). */
export function toEnvelope(error: PaddockError, requestId: string): ErrorEnvelope {
  return {
    error: {
      code: error.code,
      message: error.message,
      details: { ...error.details },
      requestId,
    },
  };
}

/**
 * Turns an error response body back into a `PaddockError`, so callers branch on `code` exactly
 * as they would in-process. `details.requestId` carries the server's request id. A body that is
 * not an envelope, or names a code this client does not know, becomes `internal` (the original
 * code and body, when present, are kept in `details`).
 */
export function fromEnvelope(json: unknown, status?: number): PaddockError {
  const parsed = ErrorEnvelope.safeParse(json);
  if (parsed.success) {
    const { code, message, details, requestId } = parsed.data.error;
    return new PaddockError(code, message, { ...details, requestId });
  }
  const error = isRecord(json) && isRecord(json.error) ? json.error : undefined;
  const code = error?.code;
  const message = typeof error?.message === 'string' ? error.message : undefined;
  const extra: Record<string, JsonValue> = {};
  if (typeof error?.requestId === 'string') extra.requestId = error.requestId;
  if (status !== undefined) extra.status = status;
  if (isErrorCode(code) && message !== undefined) {
    // A known code whose details or request id are malformed: keep the code, drop what is broken.
    return new PaddockError(code, message, extra);
  }
  if (typeof code === 'string') extra.originalCode = code;
  const fallback = status === undefined ? 'unexpected error response' : `unexpected HTTP ${status}`;
  return new PaddockError(ErrorCode.Internal, message ?? fallback, extra satisfies ErrorDetails);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
