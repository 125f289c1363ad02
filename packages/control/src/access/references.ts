/**
 * The objects a request names inside its body — a Run's sandbox and agent, the credentials of an
 * Agent (or of a Run's inline agent) and of a Sandbox's overrides, a Sandbox's snapshot and
 * volumes, a SandboxSnapshot's sandbox — each checked with the
 * caller's rights, and with the rights of the owner the object will act as.
 */
import {
  type AgentSpec,
  type AnyResource,
  type Credential,
  type CredentialStore,
  ErrorCode,
  PaddockError,
  type ResourceStore,
  type SandboxOverrides,
} from '@paddock/core';
import type { Principal } from '../auth/principal.ts';
import { findObject } from '../find-object.ts';
import { isCredentialVisible } from './credential-access.ts';
import { describeObject, describeResource, isUsableBy, isVisible, ownerOf } from './ownership.ts';

export type ReferenceDeps = {
  store: ResourceStore;
  credentials: Pick<CredentialStore, 'list'>;
};

/** One object named in a body, and the field that names it. */
export type Reference = {
  kind: 'Agent' | 'Sandbox' | 'Credential' | 'SandboxSnapshot' | 'Volume';
  name: string;
  field: string;
};

function agentCredentials(agent: AgentSpec, at: string): Reference[] {
  return [
    ...(agent.credentials ?? []).map((use, i) => ({
      kind: 'Credential' as const,
      name: use.name,
      field: `${at}.credentials[${i}].name`,
    })),
    ...(agent.repos ?? []).flatMap((repo, i) =>
      repo.credential === undefined
        ? []
        : [
            {
              kind: 'Credential' as const,
              name: repo.credential,
              field: `${at}.repos[${i}].credential`,
            },
          ],
    ),
  ];
}

function overrideCredentials(overrides: SandboxOverrides | undefined): Reference[] {
  const at = 'spec.overrides';
  const named = (name: string | undefined, field: string): Reference[] =>
    name === undefined ? [] : [{ kind: 'Credential', name, field }];
  return [
    ...(overrides?.credentials ?? []).flatMap((u, i) =>
      named(u.name, `${at}.credentials[${i}].name`),
    ),
    ...(overrides?.mounts ?? []).flatMap((m, i) =>
      named(m.credential, `${at}.mounts[${i}].credential`),
    ),
    ...(overrides?.repos ?? []).flatMap((r, i) =>
      named(r.credential, `${at}.repos[${i}].credential`),
    ),
  ];
}

/** Every object `resource` names in its spec. Templates are not listed: every role reads them. */
export function referencesOf(resource: AnyResource): Reference[] {
  switch (resource.kind) {
    case 'Run': {
      const { agentRef, agent, sandbox } = resource.spec;
      return [
        ...(agentRef
          ? [{ kind: 'Agent' as const, name: agentRef.name, field: 'spec.agentRef.name' }]
          : []),
        ...(sandbox?.name
          ? [{ kind: 'Sandbox' as const, name: sandbox.name, field: 'spec.sandbox.name' }]
          : []),
        ...(agent ? agentCredentials(agent, 'spec.agent') : []),
      ];
    }
    case 'Agent':
      return agentCredentials(resource.spec, 'spec');
    case 'Sandbox':
      return [
        ...overrideCredentials(resource.spec.overrides),
        ...(resource.spec.fromSnapshot
          ? [
              {
                kind: 'SandboxSnapshot' as const,
                name: resource.spec.fromSnapshot.name,
                field: 'spec.fromSnapshot.name',
              },
            ]
          : []),
        ...(resource.spec.volumes ?? []).map((volume, i) => ({
          kind: 'Volume' as const,
          name: volume.name,
          field: `spec.volumes[${i}].name`,
        })),
      ];
    case 'SandboxSnapshot':
      return [
        {
          kind: 'Sandbox' as const,
          name: resource.spec.sandboxRef.name,
          field: 'spec.sandboxRef.name',
        },
      ];
    default:
      return [];
  }
}

function missing(reference: Reference, what: string): PaddockError {
  return new PaddockError(ErrorCode.NotFound, `${reference.field}: ${what} not found`, {
    field: reference.field,
    kind: reference.kind,
    name: reference.name,
  });
}

function notUsable(resource: AnyResource, reference: Reference, what: string, owner: string) {
  return new PaddockError(
    ErrorCode.Forbidden,
    `${reference.field}: ${describeResource(resource)} acts as its owner "${owner}", who may not use ${what}; name its owner in the paddock.dev/owner annotation`,
    { field: reference.field, kind: reference.kind, name: reference.name, owner },
  );
}

/**
 * Throws `not_found` (naming the field) for the first reference the caller may not see or that
 * does not exist — the two answer alike, so a caller learns nothing of others' objects — and
 * `forbidden` when the caller may see it but the object's owner may not use it (an admin writing
 * a Run in its own name into a user's sandbox).
 */
export async function requireUsableReferences(
  deps: ReferenceDeps,
  principal: Principal,
  resource: AnyResource,
): Promise<void> {
  const namespace = resource.metadata.namespace ?? 'default';
  const owner = ownerOf(resource) ?? '';
  let credentials: Credential[] | undefined;
  for (const reference of referencesOf(resource)) {
    if (reference.kind === 'Credential') {
      credentials ??= await deps.credentials.list(namespace);
      const found = credentials.find((c) => c.name === reference.name);
      const what = `credential ${namespace}/${reference.name}`;
      if (found === undefined || !isCredentialVisible(principal, found)) {
        throw missing(reference, what);
      }
      if (found.owner !== owner) throw notUsable(resource, reference, what, owner);
      continue;
    }
    const what = describeObject(reference.kind, namespace, reference.name);
    const found = await findObject(deps.store, reference.kind, { namespace, name: reference.name });
    if (found === undefined || !isVisible(principal, found)) throw missing(reference, what);
    if (!isUsableBy(ownerOf(resource), found)) throw notUsable(resource, reference, what, owner);
    if (reference.kind === 'Volume' && found.metadata.deletionTimestamp) {
      throw new PaddockError(ErrorCode.Conflict, `${reference.field}: ${what} is being deleted`, {
        field: reference.field,
      });
    }
  }
}
