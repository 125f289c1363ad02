import { ErrorCode, PaddockError } from '@paddock/core';

/**
 * Why an authentication failed, carried in `details.reason` of the `unauthenticated` error so
 * the audit log (`auth.failure`) and tests can tell failures apart without parsing messages.
 */
export const AuthFailureReason = {
  MissingCredentials: 'missing_credentials',
  MalformedAuthorization: 'malformed_authorization',
  UnknownApiKey: 'unknown_api_key',
  RevokedApiKey: 'revoked_api_key',
  ExpiredApiKey: 'expired_api_key',
  /** A run token that is forged, expired, or of a run that has finished. */
  InvalidRunToken: 'invalid_run_token',
  OidcNotConfigured: 'oidc_not_configured',
  MalformedToken: 'malformed_token',
  UnsupportedAlgorithm: 'unsupported_algorithm',
  BadSignature: 'bad_signature',
  UnknownKey: 'unknown_key',
  Expired: 'expired',
  NotYetValid: 'not_yet_valid',
  IssuedInFuture: 'issued_in_future',
  WrongIssuer: 'wrong_issuer',
  WrongAudience: 'wrong_audience',
  MissingClaim: 'missing_claim',
  InvalidClaim: 'invalid_claim',
  KeysUnavailable: 'keys_unavailable',
  NotLoopback: 'not_loopback',
} as const;
export type AuthFailureReason = (typeof AuthFailureReason)[keyof typeof AuthFailureReason];

/** The `unauthenticated` error for `reason`; no cause attached unless given (never a stack). */
export function authFailure(
  reason: AuthFailureReason,
  message: string,
  options?: ErrorOptions,
): PaddockError {
  return new PaddockError(ErrorCode.Unauthenticated, message, { reason }, options);
}
