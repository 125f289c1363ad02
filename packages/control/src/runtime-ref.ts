import type { Sandbox, SandboxRef } from '@paddock/core';

/** `status.runtime.id` is `namespace/name/uid` of the runtime sandbox (a warm-pool entry once claimed). */
export function refToId(ref: SandboxRef): string {
  return `${ref.namespace}/${ref.name}/${ref.uid}`;
}

export function idToRef(id: string): SandboxRef | undefined {
  const [namespace, name, uid, ...rest] = id.split('/');
  if (!namespace || !name || !uid || rest.length > 0) return undefined;
  return { namespace, name, uid };
}

/** The runtime sandbox holding this Sandbox: the recorded one, else its own identity. */
export function runtimeRefOf(sandbox: Sandbox): SandboxRef {
  const recorded = sandbox.status?.runtime ? idToRef(sandbox.status.runtime.id) : undefined;
  return (
    recorded ?? {
      namespace: sandbox.metadata.namespace ?? 'default',
      name: sandbox.metadata.name ?? '',
      uid: sandbox.metadata.uid ?? '',
    }
  );
}
