import { isIP } from 'node:net';
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  ErrorCode,
  PaddockError,
  Role,
  type RunGrant,
} from '@paddock/core';
import { API_KEY_PREFIX, hashApiKey, hashesEqual, isApiKeyFormat } from './api-keys.ts';
import { AuthFailureReason, authFailure } from './auth-failure.ts';
import type { OidcVerifier } from './oidc.ts';
import { ANONYMOUS_ADMIN, type Principal, PrincipalVia } from './principal.ts';

/**
 * Checks run tokens (the tokens runs reach the LLM gateway with), which the gateway issues: the
 * authenticator knows them by `prefix` and trusts `verify`'s grant.
 */
export type RunTokenVerifier = {
  /** What every run token starts with. */
  prefix: string;
  /**
   * The grant of a genuine, unexpired token of a run that is still going, with when the token
   * expires (ms since the epoch) if it does; else undefined. "Its run" is the run of the grant's
   * `runUid`: the token of a deleted run is refused for a new run of the same name.
   */
  verify(token: string): Promise<{ grant: RunGrant; expiresAtMs?: number } | undefined>;
};

export type AuthenticatorOptions = {
  apiKeys: ApiKeyStore;
  /** Accepts run tokens as their run's owner, scoped read-only to its namespace; else refused. */
  runTokens?: RunTokenVerifier;
  /** Verifies bearer tokens that are not API keys; without it they are refused. */
  oidc?: OidcVerifier;
  /**
   * Grants `ANONYMOUS_ADMIN` to requests without credentials. The server sets it only when no
   * auth is configured and it listens on a loopback address (see `isLoopbackAddress`).
   */
  allowAnonymousAdmin: boolean;
  /** The clock for key expiry and last use (tests inject one). */
  now?: () => Date;
};

/** What the server knows of the request besides its Authorization header. */
export type AuthContext = {
  /** The peer address; when given, anonymous access also requires it to be loopback. */
  remoteAddress?: string;
};

export type Authenticator = {
  authenticate(authorization: string | undefined, context?: AuthContext): Promise<Principal>;
  /**
   * Re-checks a principal this authenticator vouched for earlier and that a credential of ours
   * carried since (a preview link or cookie): an API key principal holds only while its key
   * exists, is still its owner's, and is neither revoked nor expired (the rule of `authenticate`,
   * one lookup by id, no last-use write); it comes back with the key's roles. Other principals
   * come back as they are, except a run token's, which is `forbidden` (previews are out of
   * its scope). Refusals are `unauthenticated` with `details.reason`.
   */
  confirm(principal: Principal): Promise<Principal>;
};

const BEARER = /^bearer[ \t]+([!-~]+)[ \t]*$/i;

/** True for 127.0.0.0/8, ::1, their IPv4-mapped forms and `localhost`. */
export function isLoopbackAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(host) === 6 && new URL(`http://[${host}]`).hostname === '[::1]';
}

/**
 * Turns an Authorization header into a principal:
 * - `Bearer pdk_…` (scheme case-insensitive) → the API key's owner with the key's roles, after
 *   a lookup by SHA-256; its last use is recorded. Unknown, revoked or expired → refused.
 * - a run token (`runTokens.prefix`) → the run's owner with the user role only (whatever its
 *   own roles), scoped to the run's namespace (`scope`, see `requireInScope`; `scope.runUid` the
 *   run's uid), until the token's expiry (`expiresAtMs`). Forged, expired, or of a finished or
 *   deleted run (a new run of the same name included) → refused.
 * - any other bearer token → the OIDC verifier when configured, else refused.
 * - no header → `ANONYMOUS_ADMIN` when allowed (and the peer is loopback, when known), else refused.
 * - anything else (another scheme, garbage) → refused, even when anonymous access is allowed:
 *   a credential that was presented must be valid.
 * Refusals are `unauthenticated` with `details.reason` (`AuthFailureReason`); store failures
 * pass through with their own codes.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? (() => new Date());

  /** The principal of a found key, unless it is revoked or expired at `at`. */
  function usableKey(record: ApiKeyRecord, at: Date): Principal {
    if (record.revokedAt !== undefined) {
      throw authFailure(AuthFailureReason.RevokedApiKey, `API key ${record.id} has been revoked`);
    }
    if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= at.getTime()) {
      throw authFailure(AuthFailureReason.ExpiredApiKey, `API key ${record.id} has expired`);
    }
    return {
      id: record.ownerId,
      roles: [...record.roles],
      via: PrincipalVia.ApiKey,
      keyId: record.id,
      ...(record.expiresAt === undefined ? {} : { expiresAtMs: Date.parse(record.expiresAt) }),
    };
  }

  async function viaApiKey(key: string): Promise<Principal> {
    if (!isApiKeyFormat(key)) {
      throw authFailure(AuthFailureReason.UnknownApiKey, 'the API key is malformed');
    }
    const hash = hashApiKey(key);
    const record = await options.apiKeys.findByHash(hash);
    if (record === undefined || !hashesEqual(record.hash, hash)) {
      throw authFailure(AuthFailureReason.UnknownApiKey, 'the API key is not known');
    }
    const at = now();
    const principal = usableKey(record, at);
    await options.apiKeys.touch(record.id, at);
    return principal;
  }

  async function viaRunToken(verifier: RunTokenVerifier, token: string): Promise<Principal> {
    const accepted = await verifier.verify(token);
    if (accepted === undefined) {
      throw authFailure(
        AuthFailureReason.InvalidRunToken,
        'the run token is not valid (forged, expired, or its run has finished)',
      );
    }
    const { grant, expiresAtMs } = accepted;
    return {
      id: grant.user,
      roles: [Role.User],
      via: PrincipalVia.RunToken,
      scope: {
        namespace: grant.namespace,
        run: `${grant.namespace}/${grant.runName}`,
        runUid: grant.runUid,
      },
      ...(expiresAtMs === undefined ? {} : { expiresAtMs }),
    };
  }

  return {
    async authenticate(authorization, context = {}) {
      if (authorization === undefined || authorization.trim() === '') {
        const { remoteAddress } = context;
        if (!options.allowAnonymousAdmin) {
          throw authFailure(AuthFailureReason.MissingCredentials, 'authentication is required');
        }
        if (remoteAddress !== undefined && !isLoopbackAddress(remoteAddress)) {
          throw authFailure(
            AuthFailureReason.NotLoopback,
            'anonymous access is allowed from loopback addresses only',
          );
        }
        return { ...ANONYMOUS_ADMIN, roles: [...ANONYMOUS_ADMIN.roles] };
      }
      const token = BEARER.exec(authorization)?.[1];
      if (token === undefined) {
        throw authFailure(
          AuthFailureReason.MalformedAuthorization,
          'the Authorization header must be "Bearer <token>"',
        );
      }
      if (token.startsWith(API_KEY_PREFIX)) return viaApiKey(token);
      const { runTokens } = options;
      if (runTokens !== undefined && token.startsWith(runTokens.prefix)) {
        return viaRunToken(runTokens, token);
      }
      if (options.oidc === undefined) {
        throw authFailure(
          AuthFailureReason.OidcNotConfigured,
          'the bearer token is not a Paddock API key, and OIDC is not configured',
        );
      }
      return options.oidc.verify(token);
    },

    async confirm(principal) {
      // A preview credential carries no scope: a run token's principal must not get that far.
      if (principal.via === PrincipalVia.RunToken) {
        throw new PaddockError(ErrorCode.Forbidden, 'a run token may not open previews', {
          via: principal.via,
        });
      }
      if (principal.via !== PrincipalVia.ApiKey) return principal;
      const record =
        principal.keyId === undefined ? undefined : await options.apiKeys.findById(principal.keyId);
      if (record === undefined || record.ownerId !== principal.id) {
        throw authFailure(
          AuthFailureReason.UnknownApiKey,
          `API key ${principal.keyId ?? '(none)'} is no longer known`,
        );
      }
      return usableKey(record, now());
    },
  };
}
