/**
 * Model call failures, translated once at the SDK boundary: an HTTP status and the provider's
 * error become a {@link ModelCallError} whose `code` the loop branches on. The gateway's budget
 * refusal (HTTP 402, error type `budget_exceeded`, header `x-paddock-budget-limit`) carries the
 * limit that stopped the run.
 */
import { BudgetLimit, ErrorCode, PaddockError } from '@paddock/core';

/** The header the gateway names the exhausted limit in. */
export const BUDGET_LIMIT_HEADER = 'x-paddock-budget-limit';

/** Codes of failed model calls, written as the `code` of the transcript's `error` event. */
export const ModelErrorCode = {
  /** The gateway refused the call: a budget is spent. */
  BudgetExceeded: 'budget_exceeded',
  Unauthenticated: 'unauthenticated',
  RateLimited: 'rate_limited',
  /** The provider answered 4xx (a bad request, an unknown model). */
  BadRequest: 'model_request_failed',
  /** The provider answered 5xx, or the stream broke, after the retries. */
  Unavailable: 'model_unavailable',
  Aborted: 'aborted',
} as const;
export type ModelErrorCode = (typeof ModelErrorCode)[keyof typeof ModelErrorCode];

export class ModelCallError extends PaddockError {
  readonly modelCode: ModelErrorCode;
  readonly status: number | undefined;
  readonly limit: BudgetLimit | undefined;

  constructor(
    modelCode: ModelErrorCode,
    message: string,
    status: number | undefined,
    limit: BudgetLimit | undefined,
    options?: ErrorOptions,
  ) {
    super(paddockCode(modelCode), message, { modelCode, status: status ?? null }, options);
    this.name = 'ModelCallError';
    this.modelCode = modelCode;
    this.status = status;
    this.limit = limit;
  }
}

function paddockCode(code: ModelErrorCode): ErrorCode {
  switch (code) {
    case ModelErrorCode.BudgetExceeded:
      return ErrorCode.PolicyViolation;
    case ModelErrorCode.Unauthenticated:
      return ErrorCode.Unauthenticated;
    case ModelErrorCode.RateLimited:
      return ErrorCode.RateLimited;
    case ModelErrorCode.BadRequest:
      return ErrorCode.ValidationFailed;
    case ModelErrorCode.Unavailable:
      return ErrorCode.RuntimeUnavailable;
    case ModelErrorCode.Aborted:
      return ErrorCode.Timeout;
  }
}

const budgetLimits: ReadonlySet<string> = new Set(Object.values(BudgetLimit));

function isBudgetLimit(value: string | undefined): value is BudgetLimit {
  return value !== undefined && budgetLimits.has(value);
}

type SdkErrorShape = {
  status?: unknown;
  headers?: unknown;
  error?: unknown;
  message?: unknown;
  name?: unknown;
};

function header(headers: unknown, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  if (typeof headers === 'object' && headers !== null) {
    const value = (headers as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/** The provider's error type, from either API's error body (`{error: {type}}` or `{type}`). */
function errorType(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const inner = record.error;
  if (typeof inner === 'object' && inner !== null) {
    const type = (inner as Record<string, unknown>).type ?? (inner as Record<string, unknown>).code;
    if (typeof type === 'string') return type;
  }
  const type = record.type ?? record.code;
  return typeof type === 'string' ? type : undefined;
}

/** Translates whatever an SDK threw into a {@link ModelCallError}. */
export function toModelCallError(error: unknown, signal: AbortSignal): ModelCallError {
  if (error instanceof ModelCallError) return error;
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? error : {};
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  if (signal.aborted || shape.name === 'AbortError' || /UserAbort/.test(String(shape.name))) {
    return new ModelCallError(
      ModelErrorCode.Aborted,
      'the model call was aborted',
      undefined,
      undefined,
      {
        cause: error,
      },
    );
  }
  const status = typeof shape.status === 'number' ? shape.status : undefined;
  const type = errorType(shape.error);
  if (status === 402 || type === 'budget_exceeded') {
    const named = header(shape.headers, BUDGET_LIMIT_HEADER);
    const limit = isBudgetLimit(named) ? named : undefined;
    named !== undefined && budgetLimits.has(named) ? (named as BudgetLimit) : undefined;
    return new ModelCallError(ModelErrorCode.BudgetExceeded, message, status, limit, {
      cause: error,
    });
  }
  if (status === 401 || status === 403) {
    return new ModelCallError(ModelErrorCode.Unauthenticated, message, status, undefined, {
      cause: error,
    });
  }
  if (status === 429) {
    return new ModelCallError(ModelErrorCode.RateLimited, message, status, undefined, {
      cause: error,
    });
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new ModelCallError(ModelErrorCode.BadRequest, message, status, undefined, {
      cause: error,
    });
  }
  return new ModelCallError(ModelErrorCode.Unavailable, message, status, undefined, {
    cause: error,
  });
}
