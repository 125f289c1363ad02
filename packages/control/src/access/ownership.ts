/**
 * Who may see, use and change which object. Sandboxes, Agents, Runs, SandboxSnapshots and Volumes are owned (the server
 * records the creator in `paddock.dev/owner`); templates and policies are admin-written config.
 * - see: admins all; a user what it owns and the sandboxes shared with it;
 * - use (exec, files, terminal, ports, logs, a run inside it): whoever may see;
 * - manage (update, apply, stop, start, delete): the owner and admins; a shared user is refused.
 * An object the caller may not see is `not_found`, never `forbidden`: its existence is not told.
 */
import {
  type AnyResource,
  ErrorCode,
  KINDS,
  type Kind,
  PaddockError,
  Role,
  Scope,
} from '@paddock/core';
import { OWNER_ANNOTATION } from '../admission.ts';
import { canSee, isAdmin, type Principal, requireAdmin } from '../auth/principal.ts';

const OWNED_KINDS: ReadonlySet<Kind> = new Set<Kind>([
  'Sandbox',
  'Agent',
  'Run',
  'SandboxSnapshot',
  'Volume',
]);

export function isOwnedKind(kind: Kind): boolean {
  return OWNED_KINDS.has(kind);
}

export function ownerOf(resource: AnyResource): string | undefined {
  return resource.metadata.annotations?.[OWNER_ANNOTATION];
}

/** Users a sandbox is shared with; no other kind is shared. */
export function sharedWithOf(resource: AnyResource): readonly string[] | undefined {
  return resource.kind === 'Sandbox' ? resource.spec.sharedWith : undefined;
}

export function describeObject(kind: Kind, namespace: string | undefined, name: string): string {
  return KINDS[kind].scope === Scope.Namespaced
    ? `${kind} ${namespace}/${name}`
    : `${kind} ${name}`;
}

/** `Sandbox default/web` of a stored or submitted object. */
export function describeResource(resource: AnyResource): string {
  return describeObject(resource.kind, resource.metadata.namespace, resource.metadata.name ?? '');
}

const hasRole = (principal: Principal) => isAdmin(principal) || principal.roles.includes(Role.User);

/** Owned kinds follow the visibility rule; templates and policies are readable by any role. */
export function isVisible(principal: Principal, resource: AnyResource): boolean {
  if (!isOwnedKind(resource.kind)) return hasRole(principal);
  return canSee(principal, ownerOf(resource), sharedWithOf(resource));
}

/** `not_found` unless the caller may see the object. */
export function requireVisibleObject(principal: Principal, resource: AnyResource): void {
  if (!isVisible(principal, resource)) {
    throw new PaddockError(ErrorCode.NotFound, `${describeResource(resource)} not found`);
  }
}

/** Writing templates and policies needs the admin role; owned kinds need any role. */
export function requireWritable(principal: Principal, kind: Kind): void {
  if (!isOwnedKind(kind)) requireAdmin(principal, `writing ${KINDS[kind].plural}`);
  else if (!hasRole(principal)) {
    throw new PaddockError(ErrorCode.Forbidden, 'a role is required', { requiredRole: Role.User });
  }
}

/**
 * Changing, stopping, starting or deleting a stored object: `not_found` when the caller cannot
 * see it; for an owned kind, `forbidden` unless the caller owns it or is an admin (a user it is
 * shared with may use it, not change it); templates and policies need the admin role.
 */
export function requireManageable(principal: Principal, resource: AnyResource): void {
  requireVisibleObject(principal, resource);
  requireWritable(principal, resource.kind);
  if (!isOwnedKind(resource.kind) || isAdmin(principal)) return;
  if (ownerOf(resource) !== principal.id) {
    throw new PaddockError(
      ErrorCode.Forbidden,
      `${describeResource(resource)} is shared with you: you may use it, but only its owner or an admin may change, stop or delete it`,
      { owner: ownerOf(resource) ?? '' },
    );
  }
}

/**
 * Whether the user `owner` may use `resource` (what a Run, acting as its owner, may touch):
 * its own objects and the sandboxes shared with it. Objects written without an owner (by the
 * system, straight into the store) are usable by owner-less objects only.
 */
export function isUsableBy(owner: string | undefined, resource: AnyResource): boolean {
  if (ownerOf(resource) === owner) return true;
  return owner !== undefined && (sharedWithOf(resource)?.includes(owner) ?? false);
}
