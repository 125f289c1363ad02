// The Sandbox an E2B id names (when the caller may see it), and waiting for it to reach a phase.
import { findObject, requireVisibleObject } from '@paddock/control';
import { ErrorCode, PaddockError, type Sandbox } from '@paddock/core';
import type { ControlCall } from './e2b-call.ts';
import { E2B_NAMESPACE, keyOfSandboxId, sandboxIdOf } from './e2b-sandboxes.ts';

/** How long a create, connect or pause waits for the sandbox to get there. */
const SETTLE_TIMEOUT_MS = 120_000;
/**
 * Waits until the sandbox reaches `phase`, pushed by the store's watch. A sandbox that ends in
 * Error instead is reported with its reason; one deleted meanwhile is `not_found`.
 */
export async function settle(
  call: ControlCall,
  sandbox: Sandbox,
  phase: 'Running' | 'Stopped' | 'Paused',
) {
  const isThere = (s: Sandbox) =>
    s.status?.phase === phase && s.metadata.deletionTimestamp === undefined;
  const failed = (s: Sandbox) =>
    s.status?.phase === 'Error'
      ? new PaddockError(
          ErrorCode.Internal,
          `sandbox "${sandboxIdOf(s)}" failed to start: ${s.status.message ?? s.status.reason ?? s.status.phase}`,
        )
      : undefined;
  if (isThere(sandbox)) return sandbox;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), SETTLE_TIMEOUT_MS);
  const onClose = () => stop.abort();
  call.deps.shutdown.addEventListener('abort', onClose);
  call.res.once('close', onClose);
  const key = { namespace: E2B_NAMESPACE, name: sandboxIdOf(sandbox) };
  try {
    // From the version read, then a get: a change between the two is seen by one of them.
    const events = call.deps.engine.store.watch('Sandbox', {
      namespace: E2B_NAMESPACE,
      ...(sandbox.metadata.resourceVersion === undefined
        ? {}
        : { resourceVersion: sandbox.metadata.resourceVersion }),
      signal: stop.signal,
    });
    const now = await call.deps.engine.store.get('Sandbox', key);
    if (isThere(now)) return now;
    const early = failed(now);
    if (early !== undefined) throw early;
    for await (const event of events) {
      if (event.object.metadata.name !== key.name) continue;
      if (event.type === 'DELETED') {
        throw new PaddockError(ErrorCode.NotFound, `sandbox "${key.name}" was deleted`);
      }
      if (isThere(event.object)) return event.object;
      const problem = failed(event.object);
      if (problem !== undefined) throw problem;
    }
    throw new PaddockError(
      ErrorCode.Timeout,
      `sandbox "${key.name}" did not become ${phase} within ${SETTLE_TIMEOUT_MS / 1000}s`,
    );
  } finally {
    clearTimeout(timer);
    call.deps.shutdown.removeEventListener('abort', onClose);
    call.res.off('close', onClose);
    stop.abort();
  }
}

/** The Sandbox an E2B id names, if the caller may see it; else `not_found` (E2B's 404). */
export async function visibleSandbox(call: ControlCall): Promise<Sandbox> {
  const id = call.params.sandboxID ?? '';
  const key = keyOfSandboxId(id);
  const missing = new PaddockError(ErrorCode.NotFound, `sandbox "${id}" not found`);
  if (key === undefined) throw missing;
  const sandbox = await findObject(call.deps.engine.store, 'Sandbox', key);
  if (sandbox === undefined || sandbox.metadata.deletionTimestamp !== undefined) throw missing;
  requireVisibleObject(call.principal, sandbox);
  call.ctx.audit.target = { kind: 'Sandbox', ...key };
  return sandbox;
}
