import { requireVisibleObject, runtimeRefOf } from '@paddock/control';
import { ErrorCode, PaddockError, type Sandbox, type SandboxRef } from '@paddock/core';
import type { HandlerCall } from './deps.ts';

/** The sandbox named by the path, if the caller may see it (else `not_found`). */
export async function visibleSandbox(
  call: HandlerCall,
  params: { namespace: string; name: string },
): Promise<Sandbox> {
  const sandbox = await call.deps.engine.store.get('Sandbox', params);
  requireVisibleObject(call.principal, sandbox);
  return sandbox;
}

/** The runtime handle of a Running sandbox; any other phase is `invalid_transition` (409). */
export function runningRef(sandbox: Sandbox): SandboxRef {
  const phase = sandbox.status?.phase ?? 'Pending';
  if (phase !== 'Running' || sandbox.metadata.deletionTimestamp !== undefined) {
    throw new PaddockError(
      ErrorCode.InvalidTransition,
      `sandbox ${sandbox.metadata.namespace}/${sandbox.metadata.name} is ${phase}, not Running`,
      { phase },
    );
  }
  return runtimeRefOf(sandbox);
}

/** The runtime handle of a sandbox whose workspace exists (Running or Stopped). */
export function provisionedRef(sandbox: Sandbox): SandboxRef {
  const phase = sandbox.status?.phase ?? 'Pending';
  if (phase !== 'Running' && phase !== 'Stopped') return runningRef(sandbox);
  return runtimeRefOf(sandbox);
}
