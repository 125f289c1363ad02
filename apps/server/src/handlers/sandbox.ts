import { SANDBOX_ROUTES } from '@paddock/api';
import { canPause, requireManageable, usableSandbox, withStartRequest } from '@paddock/control';
import { ErrorCode, PaddockError, type Sandbox } from '@paddock/core';
import { json } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import type { HandlerCall } from '../server-deps.ts';
import { eventHandlers } from './sandbox-events.ts';
import { execHandlers } from './sandbox-exec.ts';
import { fileHandlers } from './sandbox-files.ts';
import { logHandlers } from './sandbox-logs.ts';
import { processHandlers } from './sandbox-processes.ts';
import { updateRetrying } from './update-retrying.ts';

type Params = { namespace: string; name: string };

/**
 * Writes a spec change (stop, start: the owner's or an admin's), re-reading and retrying when the
 * reconciler wrote in between.
 */
export function updateSandboxSpec(
  call: HandlerCall,
  params: Params,
  change: (s: Sandbox) => Sandbox,
) {
  return updateRetrying(
    async () => {
      const current = await call.deps.engine.store.get('Sandbox', params);
      requireManageable(call.principal, current);
      return current;
    },
    (current) => call.deps.engine.store.update(change(current)),
  );
}

/** The sandbox asked to stop (its workspace kept). */
export const stopRequested = (s: Sandbox): Sandbox => ({
  ...s,
  spec: { ...s.spec, desiredState: 'Stopped' },
});

/** The sandbox asked to pause: its processes frozen in place, memory kept. */
export const pauseRequested = (s: Sandbox): Sandbox => ({
  ...s,
  spec: { ...s.spec, desiredState: 'Paused' },
});

/** Refuses a pause up front where the runtime cannot pause (the reconciler would only warn). */
export function requirePausable(call: HandlerCall): void {
  const { runtime } = call.deps.engine;
  if (!canPause(runtime)) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `the ${runtime.name} runtime cannot pause sandboxes; stop it instead (its workspace is kept)`,
    );
  }
}

const lifecycleHandlers: RouteHandler[] = [
  on(
    SANDBOX_ROUTES.pause,
    async (call, { params }) => {
      requirePausable(call);
      return json(await updateSandboxSpec(call, params, pauseRequested));
    },
    { action: 'sandbox.pause' },
  ),
  on(
    SANDBOX_ROUTES.resume,
    async (call, { params }) => json(await updateSandboxSpec(call, params, withStartRequest)),
    { action: 'sandbox.resume' },
  ),
  on(
    SANDBOX_ROUTES.stop,
    async (call, { params }) => json(await updateSandboxSpec(call, params, stopRequested)),
    { action: 'sandbox.stop' },
  ),
  on(
    SANDBOX_ROUTES.start,
    async (call, { params }) => json(await updateSandboxSpec(call, params, withStartRequest)),
    { action: 'sandbox.start' },
  ),
  on(SANDBOX_ROUTES.ports, async (call, { params }) => {
    const sandbox = await usableSandbox(call.deps.engine.store, call.principal, params);
    const declared = sandbox.status?.ports ?? sandbox.status?.resolved?.ports ?? [];
    const nowMs = Date.now();
    const items = declared.map((p) => {
      const protocol = p.protocol ?? 'http';
      if (protocol !== 'http') return { name: p.name, port: p.port, protocol };
      const target = { namespace: params.namespace, name: params.name, port: p.port };
      const ns = encodeURIComponent(params.namespace);
      const name = encodeURIComponent(params.name);
      return {
        name: p.name,
        port: p.port,
        protocol,
        previewPath: `/preview/${ns}/${name}/${p.port}/`,
        previewUrl: call.deps.previews.urlFor(call.principal, target, call.req.headers.host, nowMs),
      };
    });
    return json({ items });
  }),
];

/** Every sandbox subresource of the route table. */
export const sandboxHandlers: RouteHandler[] = [
  ...lifecycleHandlers,
  ...execHandlers,
  ...fileHandlers,
  ...logHandlers,
  ...processHandlers,
  ...eventHandlers,
];
