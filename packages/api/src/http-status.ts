import type { ErrorCode } from '@paddock/core';

/**
 * THE table from error code to HTTP status, shared by the server (to answer) and the client (to
 * document and to check). Exhaustive: a new `ErrorCode` fails to typecheck until it has a row.
 */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'validation_failed':
    case 'template_invalid':
    case 'path_outside_sandbox':
      return 400;
    case 'unauthenticated':
      return 401;
    case 'forbidden':
    case 'policy_violation':
      return 403;
    case 'not_found':
    case 'sandbox_not_found':
    case 'template_not_found':
      return 404;
    case 'method_not_allowed':
      return 405;
    case 'already_exists':
    case 'conflict':
    case 'invalid_transition':
    case 'sandbox_paused':
      return 409;
    case 'expired':
      return 410;
    case 'payload_too_large':
      return 413;
    case 'rate_limited':
      return 429;
    case 'runtime_unavailable':
      return 503;
    case 'timeout':
      return 504;
    case 'insufficient_storage':
      return 507;
    case 'internal':
      return 500;
    default: {
      const unhandled: never = code;
      return unhandled;
    }
  }
}
