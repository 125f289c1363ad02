import { ErrorCode, PaddockError, type ProcessHandle } from '@paddock/core';

/**
 * Waits for a host helper that takes no input and prints nothing on success (`bindCommand`);
 * its failure is `runtime_unavailable` with `what` and the helper's own complaint.
 */
export async function runHostHelper(helper: ProcessHandle, what: string): Promise<void> {
  await helper.stdin.close();
  const [status, detail] = await Promise.all([
    helper.exit,
    new Response(helper.stderr).text(),
    new Response(helper.stdout).arrayBuffer(),
  ]);
  if (status.exitCode !== 0) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `${what}: ${detail.trim() || `exit ${status.exitCode}`}`,
    );
  }
}
