/**
 * Template `mounts[].credential`: a `files` credential bound read-only into the sandbox at
 * provision (`ProvisionRequest.readOnlyFiles`), looked up with the sandbox owner's rights (a
 * credential of the sandbox's namespace that its owner created) and audited like a run's.
 */
import {
  CredentialType,
  ErrorCode,
  PaddockError,
  type ReadOnlyFiles,
  type Sandbox,
  type SandboxEnvironment,
} from '@paddock/core';
import { OWNER_ANNOTATION } from './admission.ts';
import type { CredentialSource } from './runs/credential-delivery.ts';
import { filesOfArchive } from './runs/credential-files.ts';

export function hasCredentialMounts(spec: SandboxEnvironment): boolean {
  return spec.mounts?.some((mount) => mount.credential !== undefined) ?? false;
}

/**
 * The read-only files of the spec's credential mounts. `validation_failed` naming
 * `spec.mounts[i].credential` for a credential that is missing (or not the sandbox owner's), not
 * of type `files` or whose archive cannot be bound, or when the control plane has no credential
 * source: a failed `mounts` step, which retrying would not change.
 */
export async function credentialMountFiles(
  source: CredentialSource | undefined,
  sandbox: Sandbox,
  spec: SandboxEnvironment,
): Promise<ReadOnlyFiles[]> {
  const namespace = sandbox.metadata.namespace ?? 'default';
  const owner = sandbox.metadata.annotations?.[OWNER_ANNOTATION] ?? 'anonymous';
  const list: ReadOnlyFiles[] = [];
  for (const [i, mount] of (spec.mounts ?? []).entries()) {
    if (mount.credential === undefined) continue;
    const field = `spec.mounts[${i}].credential`;
    const refuse = (why: string) =>
      new PaddockError(
        ErrorCode.ValidationFailed,
        `${field}: credential ${namespace}/${mount.credential} ${why}`,
        { issues: [{ path: field, message: why }] },
      );
    if (source === undefined) throw refuse('cannot be read: this control plane has no credentials');
    const secret = await source({
      namespace,
      name: mount.credential,
      owner,
      sandboxName: sandbox.metadata.name ?? '',
      use: 'file',
    });
    if (secret === undefined) throw refuse("not found (or not created by the sandbox's owner)");
    if (secret.credential.type !== CredentialType.Files) {
      throw refuse(`is of type ${secret.credential.type}; a mount needs a files credential`);
    }
    const read = filesOfArchive(secret.value);
    if ('problem' in read) throw refuse(`cannot be mounted: its archive ${read.problem}`);
    list.push({ mountPath: mount.mountPath, files: read.files });
  }
  return list;
}
