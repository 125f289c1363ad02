import { ErrorCode, PaddockError, Role } from '@paddock/core';
import { errors, type JWTPayload, jwtVerify } from 'jose';
import { AuthFailureReason, authFailure } from './auth-failure.ts';
import { JwksCache } from './jwks-cache.ts';
import { type Principal, PrincipalVia } from './principal.ts';

/** The signature algorithms accepted; `none` and symmetric algorithms never are. */
export const OIDC_ALGORITHMS: readonly string[] = ['RS256', 'ES256'];

export type OidcVerifierOptions = {
  /** The exact `iss` of tokens (and of the discovery document). */
  issuer: string;
  /** The `aud` tokens must carry (one of them when it is a list). */
  audience: string | string[];
  /** The key set URL; discovered from `${issuer}/.well-known/openid-configuration` when absent. */
  jwksUrl?: string;
  /** Tolerance for `exp`, `nbf` and `iat` against the local clock, in seconds. Default 60. */
  clockSkewSec?: number;
  /**
   * Claims holding the caller's groups or roles: a dotted path (`realm_access.roles`), its value
   * a list of strings or a space-separated string. Default `['roles', 'groups']`.
   */
  rolesClaims?: string[];
  /** Values of those claims that make the caller an admin. Default `['paddock-admin']`. */
  adminValues?: string[];
  /** The claim that becomes `Principal.id`. Default `sub`. */
  subjectClaim?: string;
  /** How long fetched keys are kept. Default 10 minutes. */
  jwksCacheMaxAgeMs?: number;
  /** Minimum time between key set fetches caused by an unknown `kid`. Default 30 s. */
  jwksRefetchCooldownMs?: number;
  /** Time limit of each discovery or key set request. Default 5 s. */
  fetchTimeoutMs?: number;
  fetch?: typeof fetch;
  /** The clock (tests inject one). */
  now?: () => Date;
};

/** Verifies OIDC bearer tokens; see `createOidcVerifier`. */
export type OidcVerifier = {
  verify(token: string): Promise<Principal>;
};

function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = Object.hasOwn(value, part) ? Reflect.get(value, part) : undefined;
  }
  return value;
}

function claimValues(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter((v) => v !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function describeClaimFailure(error: errors.JWTClaimValidationFailed): PaddockError {
  const { claim, reason } = error;
  if (reason === 'missing') {
    return authFailure(AuthFailureReason.MissingClaim, `the token has no "${claim}" claim`);
  }
  switch (claim) {
    case 'iss':
      return authFailure(AuthFailureReason.WrongIssuer, 'the token was issued by another issuer');
    case 'aud':
      return authFailure(AuthFailureReason.WrongAudience, 'the token is for another audience');
    case 'nbf':
      return authFailure(AuthFailureReason.NotYetValid, 'the token is not valid yet (nbf)');
    default:
      return authFailure(AuthFailureReason.InvalidClaim, `the token's "${claim}" claim is invalid`);
  }
}

/** The one place where jose's failures become `unauthenticated` errors with a reason. */
function toAuthFailure(error: unknown): PaddockError {
  if (error instanceof PaddockError) return error;
  if (error instanceof errors.JWTExpired) {
    return authFailure(AuthFailureReason.Expired, 'the token has expired');
  }
  if (error instanceof errors.JWTClaimValidationFailed) return describeClaimFailure(error);
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return authFailure(AuthFailureReason.BadSignature, 'the token signature is not valid');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return authFailure(AuthFailureReason.UnknownKey, 'the token is signed by an unknown key');
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    const allowed = OIDC_ALGORITHMS.join(', ');
    return authFailure(
      AuthFailureReason.UnsupportedAlgorithm,
      `the token algorithm is not accepted (allowed: ${allowed})`,
    );
  }
  if (error instanceof errors.JWKSTimeout) {
    return authFailure(AuthFailureReason.KeysUnavailable, 'fetching the issuer keys timed out');
  }
  return authFailure(AuthFailureReason.MalformedToken, 'the bearer token is not a valid JWT');
}

function requireOption(isValid: boolean, message: string): void {
  if (!isValid) {
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid OIDC options: ${message}`, {
      issues: [{ path: 'oidc', message }],
    });
  }
}

/**
 * Creates a verifier of OIDC bearer tokens (JWTs) from `issuer` for `audience`: signature by
 * one of the issuer's keys (RS256 or ES256 only), `iss`, `aud`, `exp` (required), `nbf` and
 * `iat` checked with `clockSkewSec` of tolerance, a non-empty subject. The principal gets role
 * `user`, plus `admin` when a roles claim holds an admin value. Keys are discovered, fetched and
 * cached as `JwksCache` describes. Every failure is `unauthenticated` with `details.reason`
 * (`AuthFailureReason`); bad options are `validation_failed`.
 */
export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const clockSkewSec = options.clockSkewSec ?? 60;
  const audience = typeof options.audience === 'string' ? [options.audience] : options.audience;
  requireOption(URL.canParse(options.issuer), 'issuer must be a URL');
  requireOption(audience.length > 0 && audience.every((a) => a !== ''), 'audience is required');
  requireOption(clockSkewSec >= 0 && clockSkewSec <= 600, 'clockSkewSec must be 0..600');
  requireOption(
    options.jwksUrl === undefined || URL.canParse(options.jwksUrl),
    'jwksUrl must be a URL',
  );
  const now = options.now ?? (() => new Date());
  const rolesClaims = options.rolesClaims ?? ['roles', 'groups'];
  const adminValues = new Set(options.adminValues ?? ['paddock-admin']);
  const subjectClaim = options.subjectClaim ?? 'sub';
  const jwks = new JwksCache({
    issuer: options.issuer,
    ...(options.jwksUrl === undefined ? {} : { jwksUrl: options.jwksUrl }),
    cacheMaxAgeMs: options.jwksCacheMaxAgeMs ?? 10 * 60_000,
    refetchCooldownMs: options.jwksRefetchCooldownMs ?? 30_000,
    fetchTimeoutMs: options.fetchTimeoutMs ?? 5_000,
    fetch: options.fetch ?? fetch,
    now,
  });

  async function verifyClaims(token: string): Promise<JWTPayload> {
    const currentDate = now();
    const { payload } = await jwtVerify(token, jwks.getKey, {
      issuer: options.issuer,
      audience,
      algorithms: [...OIDC_ALGORITHMS],
      clockTolerance: clockSkewSec,
      currentDate,
      requiredClaims: ['exp'],
    });
    // jose checks `iat` only with maxTokenAge; a token from the future is refused here.
    const nowSec = currentDate.getTime() / 1000;
    if (typeof payload.iat === 'number' && payload.iat > nowSec + clockSkewSec) {
      throw authFailure(AuthFailureReason.IssuedInFuture, 'the token is issued in the future');
    }
    return payload;
  }

  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        payload = await verifyClaims(token);
      } catch (error) {
        throw toAuthFailure(error);
      }
      const subject = claimAt(payload, subjectClaim);
      if (typeof subject !== 'string' || subject === '') {
        throw authFailure(AuthFailureReason.MissingClaim, `the token has no "${subjectClaim}"`);
      }
      const values = rolesClaims.flatMap((claim) => claimValues(claimAt(payload, claim)));
      const isAdmin = values.some((value) => adminValues.has(value));
      const roles: Role[] = isAdmin ? [Role.User, Role.Admin] : [Role.User];
      // `exp` is required and checked: the token is accepted until then, plus the skew allowed.
      const expiresAtMs = Math.floor(((payload.exp ?? 0) + clockSkewSec) * 1000);
      return { id: subject, roles, via: PrincipalVia.Oidc, expiresAtMs };
    },
  };
}
