/**
 * Template host mounts between admission and the runtime: admission checked each `hostPath`
 * against the namespace's `allowedHostPaths` as written; the runtime checks it again with
 * symlinks resolved, against the same roots, which the provision request carries.
 */
import {
  isPaddockError,
  type ProvisionRequest,
  type ResourceStore,
  type Sandbox,
  type SandboxEnvironment,
  type SandboxRef,
} from '@paddock/core';
import { loadPolicy } from './admission.ts';
import { credentialMountFiles, hasCredentialMounts } from './credential-mounts.ts';
import type { CredentialSource } from './runs/credential-delivery.ts';
import { requireMountableVolumes, snapshotToStartFrom } from './storage/provision-storage.ts';

export function hasHostMounts(spec: SandboxEnvironment): boolean {
  return spec.mounts?.some((mount) => mount.hostPath !== undefined) ?? false;
}

/**
 * The provision request of a sandbox: with the roots its host mounts must resolve inside, the
 * read-only files of its credential mounts (`credentialMountFiles`), and the snapshot it starts
 * from, if any; its volumes checked (`provision-storage.ts`).
 */
export async function provisionRequestOf(
  store: ResourceStore,
  sandbox: Sandbox,
  ref: SandboxRef,
  spec: SandboxEnvironment,
  credentials?: CredentialSource,
): Promise<ProvisionRequest> {
  const request: ProvisionRequest = { ...ref, spec };
  const fromSnapshot = await snapshotToStartFrom(store, sandbox);
  if (fromSnapshot !== undefined) request.fromSnapshot = fromSnapshot;
  await requireMountableVolumes(store, sandbox, spec);
  if (hasCredentialMounts(spec)) {
    request.readOnlyFiles = await credentialMountFiles(credentials, sandbox, spec);
  }
  if (!hasHostMounts(spec)) return request;
  const policy = await loadPolicy(store, sandbox.metadata.namespace ?? 'default');
  return { ...request, allowedHostPaths: policy.allowedHostPaths ?? [] };
}

/**
 * A provision refused for what the spec asks (a host path that resolves outside the allowed
 * roots, a missing directory, a credential mount whose credential is missing): a failed `mounts` step, which retrying would not change.
 * Undefined for any other error, which the work queue retries.
 */
export function provisionRefusal(error: unknown): { step: string; output: string } | undefined {
  if (!isPaddockError(error)) return undefined;
  if (error.code !== 'policy_violation' && error.code !== 'validation_failed') return undefined;
  const step = error.details.step;
  return { step: typeof step === 'string' ? step : 'mounts', output: error.message };
}
