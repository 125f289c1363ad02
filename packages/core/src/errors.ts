/**
 * The one error class of Paddock. Every layer throws `PaddockError` with a code from the closed
 * set below; the server maps codes to HTTP statuses in one table, the client turns the wire
 * envelope back into this class, and the CLI maps codes to exit codes. Callers branch on `code`,
 * never on message text.
 */

export const ErrorCode = {
  /** Input failed validation; `details.issues` lists each field and problem. */
  ValidationFailed: 'validation_failed',
  /** A referenced resource does not exist (or the caller may not see it). */
  NotFound: 'not_found',
  SandboxNotFound: 'sandbox_not_found',
  TemplateNotFound: 'template_not_found',
  /** The path exists but does not serve this method (`details.allowed` lists those it does). */
  MethodNotAllowed: 'method_not_allowed',
  /** A resource with that name already exists. */
  AlreadyExists: 'already_exists',
  /** Optimistic concurrency: the resourceVersion given is stale. */
  Conflict: 'conflict',
  /** A watch asked for a resourceVersion older than the store keeps. */
  Expired: 'expired',
  /** Governance refused the request; `details.violations` lists every violation. */
  PolicyViolation: 'policy_violation',
  /** Template inheritance is cyclic or deeper than allowed. */
  TemplateInvalid: 'template_invalid',
  /** A lifecycle event that the current phase does not accept. */
  InvalidTransition: 'invalid_transition',
  /**
   * The sandbox is paused (its processes frozen): resume it first, or ask for `autoResume`.
   * `details.phase` is `Paused`.
   */
  SandboxPaused: 'sandbox_paused',
  /** A path in the files API points outside the sandbox. */
  PathOutsideSandbox: 'path_outside_sandbox',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  RateLimited: 'rate_limited',
  PayloadTooLarge: 'payload_too_large',
  /** The data disk is full: nothing new is stored until space is freed (deletes still work). */
  InsufficientStorage: 'insufficient_storage',
  /** The sandbox runtime (bwrap, runsc, a cluster) cannot do what was asked. */
  RuntimeUnavailable: 'runtime_unavailable',
  /** The operation did not finish in its time limit. */
  Timeout: 'timeout',
  Internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const errorCodes: ReadonlySet<string> = new Set(Object.values(ErrorCode));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && errorCodes.has(value);
}

/** JSON-safe details: whatever is attached must survive JSON.stringify unchanged. */
export type ErrorDetails = { readonly [key: string]: JsonValue };
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

export class PaddockError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(
    code: ErrorCode,
    message: string,
    details: ErrorDetails = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PaddockError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isPaddockError(value: unknown, code?: ErrorCode): value is PaddockError {
  return value instanceof PaddockError && (code === undefined || value.code === code);
}
