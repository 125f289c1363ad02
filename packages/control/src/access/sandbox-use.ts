/**
 * Using a sandbox (exec, files, terminal, ports, previews, logs): who may, and in which phase.
 * Every surface that reaches into a sandbox goes through here.
 */
import {
  ErrorCode,
  PaddockError,
  type ResourceStore,
  type Sandbox,
  type SandboxRef,
} from '@paddock/core';
import type { Principal } from '../auth/principal.ts';
import { runtimeRefOf } from '../runtime-ref.ts';
import { requireVisibleObject } from './ownership.ts';

/** The sandbox `key` names, if `principal` may use it (its owner, a user it is shared with, an admin); else `not_found`. */
export async function usableSandbox(
  store: ResourceStore,
  principal: Principal,
  key: { namespace: string; name: string },
): Promise<Sandbox> {
  const sandbox = await store.get('Sandbox', key);
  requireVisibleObject(principal, sandbox);
  return sandbox;
}

/**
 * The runtime handle of a Running sandbox; a Paused one is `sandbox_paused`, any other phase
 * `invalid_transition` (both 409). `readySandbox` wakes a sleeping one first.
 */
export function runningRef(sandbox: Sandbox): SandboxRef {
  const phase = sandbox.status?.phase ?? 'Pending';
  if (phase === 'Paused' && sandbox.metadata.deletionTimestamp === undefined) {
    throw new PaddockError(
      ErrorCode.SandboxPaused,
      `sandbox ${sandbox.metadata.namespace}/${sandbox.metadata.name} is paused; resume it (or ask for autoResume)`,
      { phase },
    );
  }
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
