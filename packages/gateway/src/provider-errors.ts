import { ErrorCode, type PaddockError } from '@paddock/core';

/** The APIs the gateway speaks. */
export const Provider = { Anthropic: 'anthropic', OpenAi: 'openai' } as const;
export type Provider = (typeof Provider)[keyof typeof Provider];

/**
 * An answer the gateway gives itself instead of the upstream's: a status, an error type in the
 * provider's vocabulary (`authentication_error`, `budget_exceeded`, …), a message for people,
 * and extra headers (`x-paddock-budget-limit`).
 */
export type Refusal = {
  status: number;
  type: string;
  message: string;
  headers?: Record<string, string>;
};

/** The status and provider error type of each PaddockError code the gateway raises. */
export function refusalOf(error: PaddockError): Refusal {
  const refusal = (status: number, type: string): Refusal => ({
    status,
    type,
    message: error.message,
  });
  switch (error.code) {
    case ErrorCode.Unauthenticated:
      return refusal(401, 'authentication_error');
    case ErrorCode.ValidationFailed:
      return refusal(400, 'invalid_request_error');
    case ErrorCode.NotFound:
      return refusal(404, 'not_found_error');
    case ErrorCode.MethodNotAllowed:
      return refusal(405, 'invalid_request_error');
    case ErrorCode.PayloadTooLarge:
      return refusal(413, 'request_too_large');
    case ErrorCode.RuntimeUnavailable:
      return refusal(503, 'api_error');
    case ErrorCode.Timeout:
      return refusal(504, 'timeout_error');
    default:
      return { status: 500, type: 'api_error', message: 'internal gateway error' };
  }
}

/**
 * The body of a refusal in the provider's error shape, so SDKs raise their usual error classes:
 * Anthropic `{type: "error", error: {type, message}}`, OpenAI `{error: {message, type, code}}`.
 */
export function errorBody(provider: Provider, refusal: Refusal): string {
  switch (provider) {
    case Provider.Anthropic:
      return JSON.stringify({
        type: 'error',
        error: { type: refusal.type, message: refusal.message },
      });
    case Provider.OpenAi:
      return JSON.stringify({
        error: {
          message: refusal.message,
          type: refusal.type,
          param: null,
          code: openAiCode(refusal),
        },
      });
  }
}

function openAiCode(refusal: Refusal): string {
  return refusal.status === 401 ? 'invalid_api_key' : refusal.type;
}

/**
 * The error of an upstream answer with status ≥ 400: the provider's `error.type` (or `code`) and
 * message when the body has them, else `http_<status>`.
 */
export function upstreamError(status: number, body: string): { code: string; message: string } {
  const fallback = { code: `http_${status}`, message: body.slice(0, 500) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fallback;
  }
  if (typeof parsed !== 'object' || parsed === null || !('error' in parsed)) return fallback;
  const error = parsed.error;
  if (typeof error !== 'object' || error === null) return fallback;
  const code =
    ('type' in error && typeof error.type === 'string' && error.type) ||
    ('code' in error && typeof error.code === 'string' && error.code) ||
    fallback.code;
  const message = 'message' in error && typeof error.message === 'string' ? error.message : '';
  return { code, message: message.slice(0, 2000) };
}
