/**
 * Who may write and see credentials: any role writes its own; only admins write in
 * `paddock-system` (the gateway's provider keys). A user sees the credentials it created, admins
 * all; another's credential is `not_found`, never described.
 */
import {
  type Credential,
  type CredentialStore,
  ErrorCode,
  PaddockError,
  Role,
  SYSTEM_NAMESPACE,
} from '@paddock/core';
import { canSee, isAdmin, type Principal, requireAdmin } from '../auth/principal.ts';

export function requireCredentialWriter(principal: Principal, namespace: string): void {
  if (namespace === SYSTEM_NAMESPACE) {
    requireAdmin(principal, `writing credentials in ${SYSTEM_NAMESPACE}`);
  } else if (!isAdmin(principal) && !principal.roles.includes(Role.User)) {
    throw new PaddockError(ErrorCode.Forbidden, 'a role is required', { requiredRole: Role.User });
  }
}

export function isCredentialVisible(principal: Principal, credential: Credential): boolean {
  return canSee(principal, credential.owner, undefined);
}

/** The credential `name` of `namespace`, if there is one (its record, never its value). */
async function credentialNamed(
  credentials: Pick<CredentialStore, 'list'>,
  namespace: string,
  name: string,
): Promise<Credential | undefined> {
  return (await credentials.list(namespace)).find((c) => c.name === name);
}

/** The credential, when the caller may see it; else `not_found`. */
export async function visibleCredential(
  credentials: Pick<CredentialStore, 'list'>,
  principal: Principal,
  namespace: string,
  name: string,
): Promise<Credential> {
  const found = await credentialNamed(credentials, namespace, name);
  if (found === undefined || !isCredentialVisible(principal, found)) {
    throw new PaddockError(ErrorCode.NotFound, `credential ${namespace}/${name} not found`, {
      namespace,
      name,
    });
  }
  return found;
}

/**
 * Storing `name` in `namespace`, replacing it when `replace`: another user's credential of that
 * name is `already_exists` (as without `replace`), never overwritten.
 */
export async function requireCredentialPut(
  credentials: Pick<CredentialStore, 'list'>,
  principal: Principal,
  namespace: string,
  name: string,
  replace: boolean,
): Promise<void> {
  requireCredentialWriter(principal, namespace);
  if (!replace) return;
  const existing = await credentialNamed(credentials, namespace, name);
  if (existing !== undefined && !isCredentialVisible(principal, existing)) {
    throw new PaddockError(
      ErrorCode.AlreadyExists,
      `credential ${namespace}/${name} already exists`,
    );
  }
}
