/**
 * Admission of a write (create, replace, apply) of any kind, with the caller's rights: who may
 * write it, who it belongs to, what it may name, what it may change, and governance. Every
 * transport (REST, MCP, E2B, the Kubernetes API) admits through here.
 */
import {
  type AnyResource,
  ErrorCode,
  PaddockError,
  type ResourceStore,
  type Run,
} from '@paddock/core';
import { admitSandbox, OWNER_ANNOTATION } from '../admission.ts';
import { isAdmin, type Principal } from '../auth/principal.ts';
import { runViolations, type SpentToday } from '../runs/run-admission.ts';
import { agentOfRun } from '../runs/run-agent.ts';
import { isOwnedKind, ownerOf, requireManageable, requireWritable } from './ownership.ts';
import { type ReferenceDeps, requireUsableReferences } from './references.ts';
import { requireVolumeSizeUnchanged } from './volume-admission.ts';

export type WriteAdmissionDeps = ReferenceDeps & {
  spentToday: SpentToday;
  /**
   * A controller's cache (see `AdmissionOptions`): sandboxes holding quota are counted there,
   * policies read there and template chains read from it first; default `store`.
   */
  controllerCache?: ResourceStore;
};

/**
 * The object as it will be stored: owned kinds record their owner — the caller, or on create the
 * owner an admin names — and keep the stored owner on update.
 */
export function withOwner(
  principal: Principal,
  resource: AnyResource,
  current?: AnyResource,
): AnyResource {
  if (!isOwnedKind(resource.kind)) return resource;
  const requested = ownerOf(resource);
  const owner =
    current !== undefined
      ? (ownerOf(current) ?? principal.id)
      : isAdmin(principal) && requested !== undefined
        ? requested
        : principal.id;
  const annotations = { ...resource.metadata.annotations, [OWNER_ANNOTATION]: owner };
  return { ...resource, metadata: { ...resource.metadata, annotations } } as AnyResource;
}

/** JSON with sorted keys: equal values compare equal whatever order their keys came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** A Run is one task: its spec is fixed at create (a changed sandbox or agent would escape admission). */
function requireRunSpecUnchanged(run: Run, current: AnyResource): void {
  if (current.kind === 'Run' && canonical(run.spec) !== canonical(current.spec)) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      'spec: a Run cannot change after it is created; create a new Run',
      { issues: [{ path: 'spec', message: 'immutable after create' }] },
    );
  }
}

/** Host paths are mounted only by admin-written templates. */
function requireNoHostPaths(principal: Principal, resource: AnyResource): void {
  if (resource.kind !== 'Sandbox' || isAdmin(principal)) return;
  const index = resource.spec.overrides?.mounts?.findIndex((m) => m.hostPath !== undefined) ?? -1;
  if (index >= 0) {
    const field = `spec.overrides.mounts[${index}].hostPath`;
    throw new PaddockError(
      ErrorCode.Forbidden,
      `${field}: host paths may be mounted only by templates (admins)`,
      { field },
    );
  }
}

async function requireGovernance(
  deps: WriteAdmissionDeps,
  resource: AnyResource,
  isCreate: boolean,
): Promise<void> {
  if (resource.kind === 'Sandbox') {
    const result = await admitSandbox(
      deps.store,
      resource,
      deps.controllerCache === undefined
        ? {}
        : {
            sandboxes: deps.controllerCache,
            templates: deps.controllerCache,
            policies: deps.controllerCache,
          },
    );
    if (!result.admitted) {
      throw new PaddockError(ErrorCode.PolicyViolation, result.message, {
        violations: result.violations,
      });
    }
  }
  if (resource.kind === 'Run' && isCreate) {
    const agent = await agentOfRun(deps.store, resource);
    const violations = await runViolations(deps.store, deps.spentToday, resource, agent);
    if (violations.length > 0) {
      const codes = [...new Set(violations.map((v) => v.code))].join(', ');
      throw new PaddockError(ErrorCode.PolicyViolation, `run refused by policy: ${codes}`, {
        violations,
      });
    }
  }
}

/**
 * Everything `admitWrite` checks but governance: who may write `resource`, what it may change, and
 * every object it names (with the caller's rights). Throws as `admitWrite` does, never
 * `policy_violation`. The policy dry run admits through here, so it refuses what a create refuses.
 */
export async function admitWriteAccess(
  deps: ReferenceDeps,
  principal: Principal,
  resource: AnyResource,
  current?: AnyResource,
): Promise<void> {
  if (current === undefined) requireWritable(principal, resource.kind);
  else requireManageable(principal, current);
  if (current !== undefined && resource.kind === 'Run') requireRunSpecUnchanged(resource, current);
  if (current !== undefined) requireVolumeSizeUnchanged(resource, current);
  requireNoHostPaths(principal, resource);
  await requireUsableReferences(deps, principal, resource);
}

/**
 * Admits writing `resource` (already placed in its namespace and stamped by `withOwner`) as
 * `principal`; `current` is the stored object on an update. Throws `forbidden` (role, a shared
 * user changing an object, host paths), `not_found` (a reference the caller cannot see),
 * `validation_failed` (a Run's spec changed) or `policy_violation` with every violation.
 * Nothing is stored here.
 */
export async function admitWrite(
  deps: WriteAdmissionDeps,
  principal: Principal,
  resource: AnyResource,
  current?: AnyResource,
): Promise<void> {
  await admitWriteAccess(deps, principal, resource, current);
  await requireGovernance(deps, resource, current === undefined);
}
