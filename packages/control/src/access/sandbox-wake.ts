/**
 * Reaching a sandbox that sleeps: an exec, a terminal, a preview or a files request to a sandbox
 * its idle timeout paused (or stopped) wakes it and waits until it runs, so the request is held, not
 * failed. A sandbox paused on purpose (`desiredState: Paused`) stays paused: such a request gets
 * `sandbox_paused` unless the caller asks for `autoResume` and may manage the sandbox.
 */
import {
  ErrorCode,
  isPaddockError,
  PaddockError,
  type ResourceStore,
  type Sandbox,
  SandboxReason,
  type SandboxRef,
} from '@paddock/core';
import type { Principal } from '../auth/principal.ts';
import { withStartRequest } from '../sandbox-pause.ts';
import { requireManageable } from './ownership.ts';
import { provisionedRef, runningRef, usableSandbox } from './sandbox-use.ts';

/** How long a woken sandbox is waited for before the request fails with `timeout`. */
export const WAKE_TIMEOUT_MS = 60_000;

export type WakeOptions = {
  /** Resume a sandbox paused on purpose too (the caller must be able to manage it). */
  autoResume?: boolean;
  /** Gives up waiting (the caller went away). */
  signal?: AbortSignal;
  timeoutMs?: number;
};

/** Whether the sandbox sleeps because it was idle: paused or stopped by its idle timeout. */
export function isIdleAsleep(sandbox: Sandbox): boolean {
  const status = sandbox.status;
  if (sandbox.spec.desiredState !== 'Running' || status === undefined) return false;
  return (
    (status.phase === 'Paused' && status.reason === SandboxReason.IdlePaused) ||
    (status.phase === 'Stopped' && status.reason === SandboxReason.IdleTimedOut)
  );
}

/**
 * The runtime handle of the sandbox `key` names, once it runs: woken first when its idle timeout
 * put it to sleep, resumed first when it is paused and `autoResume` is asked (and allowed).
 * `not_found` when the caller may not see it, `sandbox_paused` for a sandbox paused on purpose,
 * `invalid_transition` in any other phase but Running, `timeout` when it does not come back.
 */
export async function readySandbox(
  store: ResourceStore,
  principal: Principal,
  key: { namespace: string; name: string },
  options: WakeOptions = {},
): Promise<{ sandbox: Sandbox; ref: SandboxRef }> {
  const sandbox = await awakeSandbox(store, principal, key, options);
  return { sandbox, ref: runningRef(sandbox) };
}

/**
 * The runtime handle of the sandbox `key` names for its files: as {@link readySandbox} (a sandbox
 * asleep is woken and waited for), except that one stopped on purpose serves its workspace as
 * it is, without starting.
 */
export async function readyWorkspace(
  store: ResourceStore,
  principal: Principal,
  key: { namespace: string; name: string },
  options: WakeOptions = {},
): Promise<{ sandbox: Sandbox; ref: SandboxRef }> {
  const sandbox = await awakeSandbox(store, principal, key, options);
  return { sandbox, ref: provisionedRef(sandbox) };
}

/** The sandbox, woken (or resumed, with `autoResume`) and waited for when it sleeps. */
async function awakeSandbox(
  store: ResourceStore,
  principal: Principal,
  key: { namespace: string; name: string },
  options: WakeOptions,
): Promise<Sandbox> {
  const sandbox = await usableSandbox(store, principal, key);
  if (sandbox.metadata.deletionTimestamp !== undefined) return sandbox;
  const isPausedOnPurpose =
    sandbox.status?.phase === 'Paused' && sandbox.spec.desiredState === 'Paused';
  if (!isIdleAsleep(sandbox) && !(isPausedOnPurpose && options.autoResume === true)) return sandbox;
  if (isPausedOnPurpose) requireManageable(principal, sandbox);
  return wake(store, sandbox, options);
}

/** Asks the sandbox to run (a start request, and `desiredState: Running`) and waits until it does. */
async function wake(
  store: ResourceStore,
  sandbox: Sandbox,
  options: WakeOptions,
): Promise<Sandbox> {
  const key = { namespace: sandbox.metadata.namespace ?? '', name: sandbox.metadata.name ?? '' };
  let current = sandbox;
  for (let attempt = 0; ; attempt++) {
    try {
      current = await store.update(withStartRequest(current));
      break;
    } catch (error) {
      if (!isPaddockError(error, ErrorCode.Conflict) || attempt >= 5) throw error;
      current = await store.get('Sandbox', key);
      if (current.status?.phase === 'Running') return current;
    }
  }
  return untilRunning(store, current, options);
}

/** Waits, pushed by the store's watch, until the sandbox is Running (Error or deletion end it). */
async function untilRunning(
  store: ResourceStore,
  sandbox: Sandbox,
  options: WakeOptions,
): Promise<Sandbox> {
  const key = { namespace: sandbox.metadata.namespace ?? '', name: sandbox.metadata.name ?? '' };
  const timeoutMs = options.timeoutMs ?? WAKE_TIMEOUT_MS;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  const signal = options.signal ? AbortSignal.any([stop.signal, options.signal]) : stop.signal;
  const settled = (s: Sandbox): Sandbox | undefined => {
    if (s.metadata.deletionTimestamp !== undefined) throw gone(key.name);
    if (s.status?.phase === 'Running') return s;
    if (s.status?.phase === 'Error') {
      throw new PaddockError(
        ErrorCode.InvalidTransition,
        `sandbox ${key.namespace}/${key.name} failed to wake: ${s.status.message ?? 'error'}`,
        { phase: 'Error' },
      );
    }
    return undefined;
  };
  try {
    // From the version written, then a get: a change between the two is seen by one of them.
    const events = store.watch('Sandbox', {
      namespace: key.namespace,
      ...(sandbox.metadata.resourceVersion === undefined
        ? {}
        : { resourceVersion: sandbox.metadata.resourceVersion }),
      signal,
    });
    const now = settled(await store.get('Sandbox', key));
    if (now !== undefined) return now;
    for await (const event of events) {
      if (event.object.metadata.name !== key.name) continue;
      if (event.type === 'DELETED') throw gone(key.name);
      const done = settled(event.object);
      if (done !== undefined) return done;
    }
    throw new PaddockError(
      ErrorCode.Timeout,
      `sandbox ${key.namespace}/${key.name} did not wake within ${timeoutMs / 1000}s`,
    );
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}

function gone(name: string): PaddockError {
  return new PaddockError(ErrorCode.SandboxNotFound, `sandbox ${name} was deleted`);
}
