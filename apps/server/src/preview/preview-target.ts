import type { Principal } from '@paddock/control';
import { readySandbox, usableSandbox } from '@paddock/control';
import { ErrorCode, PaddockError, type SandboxRef } from '@paddock/core';
import type { Engine } from '../engine.ts';
import type { PreviewPath } from './preview-path.ts';

/**
 * The sandbox and port a preview reaches: the sandbox must be visible to the caller (else
 * `not_found`), the port an http port of its resolved template (else `not_found` naming the
 * port), and the sandbox Running (else `invalid_transition`, 409). A sandbox its idle timeout put
 * to sleep is woken and waited for, so the request is held, not failed; one paused on purpose is
 * `sandbox_paused` (409).
 */
export async function resolvePreviewTarget(
  engine: Engine,
  principal: Principal,
  path: PreviewPath,
): Promise<SandboxRef> {
  const sandbox = await usableSandbox(engine.store, principal, path);
  const http = (sandbox.status?.resolved?.ports ?? []).filter(
    (p) => (p.protocol ?? 'http') === 'http',
  );
  if (!http.some((p) => p.port === path.port)) {
    throw new PaddockError(
      ErrorCode.NotFound,
      `port ${path.port} is not an http port of sandbox ${path.namespace}/${path.name}; its template declares ${http.map((p) => p.port).join(', ') || 'none'}`,
      { port: path.port, ports: http.map((p) => p.port) },
    );
  }
  return (await readySandbox(engine.store, principal, path)).ref;
}
