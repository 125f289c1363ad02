/**
 * THE translation of Paddock's errors into Kubernetes `Status` objects (meta/v1): one exhaustive
 * table from error code to HTTP status and `reason`, with `details.causes` naming the fields of a
 * validation failure or the violations of a policy refusal.
 */
import { ErrorCode, type ErrorDetails, type PaddockError } from '@paddock/core';

/** The `reason`s of meta/v1 Status this surface answers with. */
export const StatusReason = {
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Gone: 'Gone',
  Expired: 'Expired',
  Invalid: 'Invalid',
  MethodNotAllowed: 'MethodNotAllowed',
  TooManyRequests: 'TooManyRequests',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
  UnsupportedMediaType: 'UnsupportedMediaType',
  ServiceUnavailable: 'ServiceUnavailable',
  Timeout: 'Timeout',
  InternalError: 'InternalError',
} as const;
export type StatusReason = (typeof StatusReason)[keyof typeof StatusReason];

export type StatusCause = { reason?: string; message: string; field?: string };

/** A meta/v1 Status of a failure. */
export type KubeStatus = {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code: number;
};

/** What the request named, for `details` (kubectl prints `sandboxes.paddock.dev "web" not found`). */
export type StatusTarget = { group?: string; kind?: string; name?: string };

function statusOf(code: ErrorCode): { http: number; reason: StatusReason } {
  switch (code) {
    case ErrorCode.ValidationFailed:
    case ErrorCode.TemplateInvalid:
      return { http: 422, reason: StatusReason.Invalid };
    case ErrorCode.NotFound:
    case ErrorCode.SandboxNotFound:
    case ErrorCode.TemplateNotFound:
      return { http: 404, reason: StatusReason.NotFound };
    case ErrorCode.MethodNotAllowed:
      return { http: 405, reason: StatusReason.MethodNotAllowed };
    case ErrorCode.AlreadyExists:
      return { http: 409, reason: StatusReason.AlreadyExists };
    case ErrorCode.Conflict:
    case ErrorCode.InvalidTransition:
    case ErrorCode.SandboxPaused:
      return { http: 409, reason: StatusReason.Conflict };
    case ErrorCode.Expired:
      return { http: 410, reason: StatusReason.Expired };
    case ErrorCode.PolicyViolation:
    case ErrorCode.Forbidden:
      return { http: 403, reason: StatusReason.Forbidden };
    case ErrorCode.PathOutsideSandbox:
      return { http: 400, reason: StatusReason.BadRequest };
    case ErrorCode.Unauthenticated:
      return { http: 401, reason: StatusReason.Unauthorized };
    case ErrorCode.RateLimited:
      return { http: 429, reason: StatusReason.TooManyRequests };
    case ErrorCode.PayloadTooLarge:
      return { http: 413, reason: StatusReason.RequestEntityTooLarge };
    case ErrorCode.InsufficientStorage:
    case ErrorCode.RuntimeUnavailable:
      return { http: 503, reason: StatusReason.ServiceUnavailable };
    case ErrorCode.Timeout:
      return { http: 504, reason: StatusReason.Timeout };
    case ErrorCode.Internal:
      return { http: 500, reason: StatusReason.InternalError };
    default: {
      const unknown: never = code;
      return { http: 500, reason: unknown };
    }
  }
}

function asRecords(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
    : [];
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** The causes a Paddock error carries: validation issues, policy violations, apply conflicts. */
function causesOf(details: ErrorDetails): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const issue of asRecords(details.issues)) {
    const field = text(issue.path);
    causes.push({
      reason: 'FieldValueInvalid',
      message: text(issue.message) ?? 'invalid',
      ...(field === undefined ? {} : { field }),
    });
  }
  for (const violation of asRecords(details.violations)) {
    const field = text(violation.field);
    causes.push({
      reason: text(violation.code) ?? 'PolicyViolation',
      message: text(violation.message) ?? 'refused by policy',
      ...(field === undefined ? {} : { field }),
    });
  }
  for (const conflict of asRecords(details.conflicts)) {
    const field = text(conflict.field);
    causes.push({
      reason: 'FieldManagerConflict',
      message: text(conflict.message) ?? 'conflict',
      ...(field === undefined ? {} : { field }),
    });
  }
  return causes;
}

/** The HTTP status and Status body of `error`. */
export function kubeStatusOf(
  error: PaddockError,
  target: StatusTarget = {},
): { http: number; body: KubeStatus } {
  const { http, reason } = statusOf(error.code);
  const causes = causesOf(error.details);
  // A refused reference in the body (missing, or not the caller's to see) names its field.
  const field = text(error.details.field);
  if (causes.length === 0 && field !== undefined) {
    const cause =
      reason === StatusReason.NotFound
        ? 'FieldValueNotFound'
        : reason === StatusReason.Forbidden
          ? 'FieldValueForbidden'
          : 'FieldValueInvalid';
    causes.push({ reason: cause, message: error.message, field });
  }
  // kubectl's own words for a missing or taken name: `sandboxes.paddock.dev "web" not found`.
  const named =
    target.kind !== undefined && target.name !== undefined
      ? `${target.kind}.${target.group ?? ''} "${target.name}"`
      : undefined;
  let message = error.message;
  // A missing reference keeps its own message (it names the field); the object itself is not missing.
  if (named !== undefined && reason === StatusReason.NotFound && field === undefined) {
    message = `${named} not found`;
  }
  if (named !== undefined && reason === StatusReason.AlreadyExists)
    message = `${named} already exists`;
  const hasDetails = causes.length > 0 || Object.keys(target).length > 0;
  return {
    http,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(hasDetails ? { details: { ...target, ...(causes.length > 0 ? { causes } : {}) } } : {}),
      code: http,
    },
  };
}

/**
 * A body of a media type the verb does not take (a strategic merge patch of a custom resource):
 * 415 in the API server's words, which no Paddock error code stands for.
 */
export function unsupportedMediaType(accepted: readonly string[]): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    reason: StatusReason.UnsupportedMediaType,
    code: 415,
  };
}

/**
 * A list or watch whose query cannot be read (a label or field selector, a continue token): 400
 * BadRequest with the error's message, as a cluster answers, where a body's problem is Invalid.
 */
export function badRequest(message: string): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: StatusReason.BadRequest,
    code: 400,
  };
}
