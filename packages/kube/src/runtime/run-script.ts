/**
 * A helper command in the sandbox's container, run to its end: its whole output and exit code.
 * Unwrapped (`wrap: false`) and without stdin, so it needs nothing but the argv.
 */
import { ErrorCode, PaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import { execInPod, type PodTarget } from '../exec/exec-in-pod.ts';

export type ScriptResult = { stdout: string; stderr: string; exitCode: number | null };

export async function runScript(
  client: KubeClient,
  target: PodTarget,
  command: string[],
): Promise<ScriptResult> {
  const handle = await execInPod(client, { ...target, command, wrap: false, stdin: false });
  const [stdout, stderr, exit] = await Promise.all([
    new Response(handle.stdout).text(),
    new Response(handle.stderr).text(),
    handle.exit,
  ]);
  return { stdout, stderr, exitCode: exit.exitCode };
}

/** `runScript`, throwing `runtime_unavailable` with its stderr unless it exits 0. */
export async function runScriptOk(
  client: KubeClient,
  target: PodTarget,
  command: string[],
  what: string,
): Promise<string> {
  const result = await runScript(client, target, command);
  if (result.exitCode !== 0) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `${what} in pod ${target.namespace}/${target.pod} failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
  }
  return result.stdout;
}
