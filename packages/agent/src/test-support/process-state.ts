/** Test support: whether a process is still running (a zombie counts as gone). */
import { readFileSync } from 'node:fs';
import { eventually } from '@paddock/testkit';

export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Resolves once `pid` is no longer running (SIGKILL is delivered asynchronously). */
export async function untilGone(pid: number): Promise<void> {
  await eventually(() => !isRunning(pid), { what: `process ${pid} gone`, intervalMs: 10 });
}
