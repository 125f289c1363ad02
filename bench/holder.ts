// A background process in a sandbox that holds memory (a python script the caller gives) and
// says `ready` once it does: what the pause benches pause, checkpoint and resume.
import type { SandboxRef } from '@paddock/core';
import type { LocalRuntime } from '@paddock/runtime-local';

/** Starts `script` as the background process `holder` and waits until it prints `ready`. */
export async function readyHolder(
  runtime: LocalRuntime,
  ref: SandboxRef,
  script: string,
  mib: number,
): Promise<void> {
  const handle = await runtime.exec(ref, {
    command: ['python3', '-c', script],
    background: true,
    processId: 'holder',
  });
  await handle.stderr.cancel();
  const reader = handle.stdout.getReader();
  let seen = '';
  while (!seen.includes('ready')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the ${mib} MiB holder ended before it was ready`);
    seen += new TextDecoder().decode(value);
  }
  await reader.cancel();
}
