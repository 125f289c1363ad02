import { canSee, isAdmin, OWNER_ANNOTATION, type Principal, requireAdmin } from '@paddock/control';
import {
  type AnyResource,
  ErrorCode,
  KINDS,
  type Kind,
  PaddockError,
  Role,
  Scope,
} from '@paddock/core';

/** Kinds a user owns (the server records the creator); everything else is admin-written config. */
const OWNED_KINDS: ReadonlySet<Kind> = new Set<Kind>(['Sandbox', 'Agent', 'Run']);

export function isOwnedKind(kind: Kind): boolean {
  return OWNED_KINDS.has(kind);
}

export function ownerOf(resource: AnyResource): string | undefined {
  return resource.metadata.annotations?.[OWNER_ANNOTATION];
}

function sharedWithOf(resource: AnyResource): readonly string[] | undefined {
  return resource.kind === 'Sandbox' ? resource.spec.sharedWith : undefined;
}

/**
 * Owned kinds follow the visibility rule (admins all; users their own and shared ones); templates
 * and policies are readable by every authenticated caller with a role.
 */
export function isVisible(principal: Principal, resource: AnyResource): boolean {
  if (!isOwnedKind(resource.kind)) {
    return isAdmin(principal) || principal.roles.includes(Role.User);
  }
  return canSee(principal, ownerOf(resource), sharedWithOf(resource));
}

export function describeObject(kind: Kind, namespace: string | undefined, name: string): string {
  return KINDS[kind].scope === Scope.Namespaced
    ? `${kind} ${namespace}/${name}`
    : `${kind} ${name}`;
}

/** `not_found`, never `forbidden`: a caller must not learn that an invisible object exists. */
export function requireVisibleObject(principal: Principal, resource: AnyResource): void {
  if (!isVisible(principal, resource)) {
    const { namespace, name = '' } = resource.metadata;
    throw new PaddockError(
      ErrorCode.NotFound,
      `${describeObject(resource.kind, namespace, name)} not found`,
    );
  }
}

/** Writing templates and policies needs the admin role; owned kinds need any role. */
export function requireWritable(principal: Principal, kind: Kind): void {
  if (!isOwnedKind(kind)) requireAdmin(principal, `writing ${KINDS[kind].plural}`);
  else if (!isAdmin(principal) && !principal.roles.includes(Role.User)) {
    throw new PaddockError(ErrorCode.Forbidden, 'a role is required', { requiredRole: Role.User });
  }
}
