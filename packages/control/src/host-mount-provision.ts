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

export function hasHostMounts(spec: SandboxEnvironment): boolean {
  return spec.mounts?.some((mount) => mount.hostPath !== undefined) ?? false;
}

/** The provision request of a sandbox: with the roots its host mounts must resolve inside, if any. */
export async function provisionRequestOf(
  store: ResourceStore,
  sandbox: Sandbox,
  ref: SandboxRef,
  spec: SandboxEnvironment,
): Promise<ProvisionRequest> {
  if (!hasHostMounts(spec)) return { ...ref, spec };
  const policy = await loadPolicy(store, sandbox.metadata.namespace ?? 'default');
  return { ...ref, spec, allowedHostPaths: policy.allowedHostPaths ?? [] };
}

/**
 * A provision the runtime refused for what the spec asks (a host path that resolves outside the
 * allowed roots, a missing directory): a failed `mounts` step, which retrying would not change.
 * Undefined for any other error, which the work queue retries.
 */
export function provisionRefusal(error: unknown): { step: string; output: string } | undefined {
  if (!isPaddockError(error)) return undefined;
  if (error.code !== 'policy_violation' && error.code !== 'validation_failed') return undefined;
  return { step: 'mounts', output: error.message };
}
