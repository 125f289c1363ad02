/**
 * Errors in each provider's own wire shape, so client libraries raise their usual error classes
 * (and retry 429 and 5xx on their own).
 */

/** Which wire protocol a request speaks; it decides the shape of answers and errors. */
export type ProviderApi = 'anthropic' | 'openai';

/** An HTTP answer the server writes as JSON. */
export type JsonAnswer = { status: number; headers: Record<string, string>; body: unknown };

export type ErrorOptions = {
  retryAfterSeconds?: number | undefined;
  /** `false` sends `x-should-retry: false`, which both SDKs obey (used for script failures). */
  shouldRetry?: boolean;
};

export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function openaiErrorType(status: number): { type: string; code: string | null } {
  switch (status) {
    case 401:
      return { type: 'invalid_request_error', code: 'invalid_api_key' };
    case 404:
      return { type: 'invalid_request_error', code: 'unknown_url' };
    case 429:
      return { type: 'requests', code: 'rate_limit_exceeded' };
    default:
      return status >= 500
        ? { type: 'server_error', code: null }
        : { type: 'invalid_request_error', code: null };
  }
}

export function errorAnswer(
  api: ProviderApi,
  status: number,
  message: string,
  options: ErrorOptions = {},
): JsonAnswer {
  const headers: Record<string, string> = {};
  if (options.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(options.retryAfterSeconds);
  }
  if (options.shouldRetry === false) headers['x-should-retry'] = 'false';
  if (api === 'anthropic') {
    return {
      status,
      headers,
      body: { type: 'error', error: { type: anthropicErrorType(status), message } },
    };
  }
  const { type, code } = openaiErrorType(status);
  return { status, headers, body: { error: { message, type, param: null, code } } };
}
