import { ErrorCode, PaddockError } from '@paddock/core';

/** The `Status` object the API server answers errors with (the fields Paddock reads). */
type Status = {
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ field?: string; message?: string; reason?: string }> };
};

const BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthenticated,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  410: ErrorCode.Expired,
  413: ErrorCode.PayloadTooLarge,
  422: ErrorCode.ValidationFailed,
  429: ErrorCode.RateLimited,
  504: ErrorCode.Timeout,
};

/**
 * An error answer of the Kubernetes API as a `PaddockError`: the one place where HTTP statuses
 * and `Status` reasons of the API server become Paddock's codes. 409 is `already_exists` or
 * `conflict` by its reason; 422's causes become `details.issues` (field and message), as
 * Paddock's own validation reports them; 5xx is `runtime_unavailable` (the cluster cannot serve).
 */
export function kubeError(status: number, body: string, what: string): PaddockError {
  let parsed: Status = {};
  try {
    parsed = JSON.parse(body) as Status;
  } catch {
    parsed = { message: body.slice(0, 500) };
  }
  const message = `Kubernetes API ${what}: ${parsed.message ?? `HTTP ${status}`}`;
  const reason = parsed.reason ?? '';
  const code =
    status === 409
      ? reason === 'AlreadyExists'
        ? ErrorCode.AlreadyExists
        : ErrorCode.Conflict
      : (BY_STATUS[status] ?? (status >= 500 ? ErrorCode.RuntimeUnavailable : ErrorCode.Internal));
  const causes = parsed.details?.causes ?? [];
  const details =
    code === ErrorCode.ValidationFailed
      ? {
          issues: causes.map((cause) => ({
            path: cause.field ?? '',
            message: cause.message ?? cause.reason ?? 'invalid',
          })),
          status,
          reason,
        }
      : { status, reason };
  return new PaddockError(code, message, details);
}
