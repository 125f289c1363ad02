// E2B's kill, set timeout, connect (and resume) and pause of a sandbox, through the same functions
// as the REST API's. E2B's pause is Paddock's pause where the runtime can pause, else a stop.
import { canPause, requireManageable, withStartRequest } from '@paddock/control';
import { ErrorCode, PaddockError, type Sandbox } from '@paddock/core';
import { z } from 'zod';
import { replaceResource } from '../handlers/resources.ts';
import { pauseRequested, stopRequested, updateSandboxSpec } from '../handlers/sandbox.ts';
import { updateRetrying } from '../handlers/update-retrying.ts';
import { empty, json, type Reply } from '../http/respond.ts';
import { inSeconds, readBodyAs, unsupported } from './control-input.ts';
import { settle, visibleSandbox } from './control-sandbox.ts';
import { sandboxOf, stateOf } from './control-views.ts';
import type { ControlCall } from './e2b-call.ts';
import { E2B_NAMESPACE, sandboxIdOf } from './e2b-sandboxes.ts';

const Timeout = z.object({ timeout: z.int().min(0) });
const Pause = z.object({ memory: z.boolean().optional() }).loose();
const Resume = z.object({ timeout: z.int().min(0).optional() }).loose();

export async function killSandbox(call: ControlCall): Promise<Reply> {
  const sandbox = await visibleSandbox(call);
  requireManageable(call.principal, sandbox);
  await call.deps.engine.store.delete('Sandbox', {
    namespace: E2B_NAMESPACE,
    name: sandboxIdOf(sandbox),
  });
  return empty(204);
}

/** Moves the shutdown time, through the same admission as any update (so `maxTimeout` holds). */
async function moveShutdown(call: ControlCall, sandbox: Sandbox, shutdownTime: string) {
  const key = { namespace: E2B_NAMESPACE, name: sandboxIdOf(sandbox) };
  return updateRetrying(
    async () => {
      const current = await call.deps.engine.store.get('Sandbox', key);
      requireManageable(call.principal, current);
      return current;
    },
    async (current) =>
      (await replaceResource(
        call,
        'Sandbox',
        { ...current, spec: { ...current.spec, shutdownTime } },
        E2B_NAMESPACE,
        key.name,
        current,
      )) as Sandbox,
  );
}

export async function setTimeout_(call: ControlCall): Promise<Reply> {
  const { timeout } = await readBodyAs(call, Timeout, 'timeout');
  const sandbox = await visibleSandbox(call);
  await moveShutdown(call, sandbox, inSeconds(timeout));
  return empty(204);
}

/**
 * Connect (and the older resume): a paused sandbox is started and waited for; the shutdown time
 * moves to `timeout` seconds from now when that is later. 201 when it was resumed, 200 otherwise.
 */
export async function connectSandbox(call: ControlCall, isResumeOnly: boolean): Promise<Reply> {
  const { timeout } = await readBodyAs(call, Resume, 'connect');
  let sandbox = await visibleSandbox(call);
  const key = { namespace: E2B_NAMESPACE, name: sandboxIdOf(sandbox) };
  const wasPaused = stateOf(sandbox) === 'paused';
  if (isResumeOnly && !wasPaused) {
    throw new PaddockError(ErrorCode.Conflict, `sandbox "${key.name}" is not paused`);
  }
  if (timeout !== undefined) {
    const wanted = inSeconds(timeout);
    const current = sandbox.spec.shutdownTime;
    if (current === undefined || current < wanted)
      sandbox = await moveShutdown(call, sandbox, wanted);
  }
  if (wasPaused) sandbox = await updateSandboxSpec(call, key, withStartRequest);
  const running = await settle(call, sandbox, 'Running');
  return json(sandboxOf(call, running), wasPaused ? 201 : 200);
}

/**
 * Pause: Paddock pauses the sandbox (processes frozen, memory kept) where its runtime can; else it
 * stops it (the workspace kept; processes and memory are not, so `memory: true` is refused).
 */
export async function pauseSandbox(call: ControlCall): Promise<Reply> {
  const { memory } = await readBodyAs(call, Pause, 'pause');
  const isPausable = canPause(call.deps.engine.runtime);
  if (memory === true && !isPausable)
    throw unsupported('memory', 'this runtime cannot pause: a paused sandbox keeps its files only');
  const sandbox = await visibleSandbox(call);
  if (stateOf(sandbox) === 'paused') {
    throw new PaddockError(
      ErrorCode.Conflict,
      `sandbox "${sandboxIdOf(sandbox)}" is already paused`,
    );
  }
  const key = { namespace: E2B_NAMESPACE, name: sandboxIdOf(sandbox) };
  if (isPausable) {
    await settle(call, await updateSandboxSpec(call, key, pauseRequested), 'Paused');
    return empty(204);
  }
  const stopping = await updateSandboxSpec(call, key, stopRequested);
  await settle(call, stopping, 'Stopped');
  return empty(204);
}
