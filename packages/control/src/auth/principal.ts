import { ErrorCode, PaddockError, Role } from '@paddock/core';

/** How a principal proved who it is. */
export const PrincipalVia = {
  ApiKey: 'api-key',
  Oidc: 'oidc',
  Anonymous: 'anonymous',
  /** A sandbox's own access token (E2B's envd calls): it acts for the sandbox's owner. */
  SandboxToken: 'sandbox-token',
  /**
   * A run's own token (the one its harness reaches the LLM gateway with): it acts for the run's
   * owner with a user's rights, scoped read-only to the run's namespace (`scope`).
   */
  RunToken: 'run-token',
} as const;
export type PrincipalVia = (typeof PrincipalVia)[keyof typeof PrincipalVia];

/**
 * What a scoped principal is confined to: reading the objects of one namespace (see
 * `requireInScope`). `run` names the run whose token it is (`namespace/name`), for messages and
 * the audit log; `runUid` is that run's uid: a run deleted and made again under the same name is
 * another run, and what the old one's token opened must not pass for the new one's.
 */
export type PrincipalScope = { namespace: string; run?: string; runUid?: string };

/**
 * The authenticated caller. `id` is the user id that owns sandboxes and API keys (the OIDC
 * subject, or an API key's owner). `keyId` is the public id of the API key used, when `via` is
 * `api-key` (for the `apikey.use` audit record). `scope`, when present, narrows what the
 * principal may do below its roles: read-only, one namespace (a run's token). `expiresAtMs`
 * (epoch milliseconds) is when the credential it came with stops being accepted — an API key's
 * expiry, an OIDC token's `exp` plus the clock skew allowed, a run token's expiry — so what it
 * opened can end then; absent when the credential does not expire.
 */
export type Principal = {
  id: string;
  roles: Role[];
  via: PrincipalVia;
  keyId?: string;
  scope?: PrincipalScope;
  expiresAtMs?: number;
};

/** The dev-mode principal granted without credentials, only on a loopback address. */
export const ANONYMOUS_ADMIN: Readonly<Principal> = Object.freeze({
  id: 'anonymous',
  roles: [Role.Admin],
  via: PrincipalVia.Anonymous,
});

export function isAdmin(principal: Principal): boolean {
  return principal.roles.includes(Role.Admin);
}

/**
 * The visibility rule: admins see everything; a user sees what it owns and what is shared with
 * it; with neither role, nothing. An object without an owner is visible to admins only (deny by
 * default).
 */
export function canSee(
  principal: Principal,
  owner: string | undefined,
  sharedWith: readonly string[] | undefined,
): boolean {
  if (isAdmin(principal)) return true;
  if (!principal.roles.includes(Role.User)) return false;
  if (owner !== undefined && owner === principal.id) return true;
  return sharedWith?.includes(principal.id) ?? false;
}

/**
 * Throws `not_found` (never `forbidden`: the caller must not learn that the object exists) when
 * `principal` cannot see the object named `what` (`sandbox team-a/web`).
 */
export function requireVisible(
  principal: Principal,
  owner: string | undefined,
  sharedWith: readonly string[] | undefined,
  what: string,
): void {
  if (!canSee(principal, owner, sharedWith)) {
    throw new PaddockError(ErrorCode.NotFound, `${what} not found`);
  }
}

/** Throws `forbidden` unless `principal` is an admin; `action` names what was refused. */
export function requireAdmin(principal: Principal, action: string): void {
  if (!isAdmin(principal)) {
    throw new PaddockError(ErrorCode.Forbidden, `${action} requires the admin role`, {
      requiredRole: Role.Admin,
    });
  }
}
