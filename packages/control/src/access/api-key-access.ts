/**
 * API keys: users mint, list and revoke their own; admins anyone's; only admins mint admin keys.
 */
import { type ApiKeyRecord, type ApiKeyStore, ErrorCode, PaddockError, Role } from '@paddock/core';
import { isAdmin, type Principal, requireAdmin } from '../auth/principal.ts';

/** The owner and role of a key `principal` asks to mint (its own, a user key by default for users). */
export function keyToMint(
  principal: Principal,
  asked: { owner?: string | undefined; role?: Role | undefined },
): { owner: string; role: Role } {
  const owner = asked.owner ?? principal.id;
  if (owner !== principal.id) requireAdmin(principal, 'creating a key for another user');
  const role = asked.role ?? (isAdmin(principal) ? Role.Admin : Role.User);
  if (role === Role.Admin) requireAdmin(principal, 'creating an admin key');
  return { owner, role };
}

/** Whose keys a listing shows: the caller's; an admin's, everyone's unless it names one owner. */
export function keyListOwner(principal: Principal, asked: string | undefined): string | undefined {
  const owner = asked ?? (isAdmin(principal) ? undefined : principal.id);
  if (owner !== principal.id) requireAdmin(principal, "listing another user's keys");
  return owner;
}

/** The key `id`, when the caller may revoke it (its own; admins any); else `not_found`. */
export async function revocableKey(
  apiKeys: Pick<ApiKeyStore, 'findById'>,
  principal: Principal,
  id: string,
): Promise<ApiKeyRecord> {
  const found = await apiKeys.findById(id);
  if (found === undefined || (!isAdmin(principal) && found.ownerId !== principal.id)) {
    throw new PaddockError(ErrorCode.NotFound, `API key ${id} not found`);
  }
  return found;
}

/** Whose actions an audit query shows: admins any actor (or the one asked); users their own. */
export function auditActorFor(principal: Principal, asked: string | undefined): string | undefined {
  return isAdmin(principal) ? asked : principal.id;
}
