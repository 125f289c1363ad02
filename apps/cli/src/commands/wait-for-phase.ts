import { ErrorCode, PaddockError, type Sandbox, SandboxPhase } from '@paddock/core';
import type { CommandContext } from '../command.ts';
import { startProgress } from '../progress.ts';

const WAIT_TIMEOUT_MS = 120_000;

/**
 * Waits until the sandbox reaches `target`, showing its phase on a terminal. A sandbox that
 * ends in Error fails with `runtime_unavailable` carrying its message.
 */
export async function waitForPhase(
  context: CommandContext,
  name: string,
  target: SandboxPhase,
  current: string = SandboxPhase.Pending,
): Promise<Sandbox> {
  const { client, io, settings } = context;
  const progress = startProgress(io.stderr, io.isInteractive, `sandbox/${name}: ${current}`);
  let sandbox: Sandbox;
  try {
    sandbox = await client.sandboxes.waitFor(
      name,
      (s) => {
        progress.update(`sandbox/${name}: ${s.status?.phase ?? SandboxPhase.Pending}`);
        return s.status?.phase === target || s.status?.phase === SandboxPhase.Error;
      },
      { namespace: settings.namespace, timeoutMs: WAIT_TIMEOUT_MS },
    );
  } finally {
    progress.stop();
  }
  if (sandbox.status?.phase === SandboxPhase.Error) {
    const why = sandbox.status.message ?? sandbox.status.reason ?? 'unknown reason';
    throw new PaddockError(ErrorCode.RuntimeUnavailable, `sandbox "${name}" failed: ${why}`, {
      reason: sandbox.status.reason ?? null,
    });
  }
  return sandbox;
}
