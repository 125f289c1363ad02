import type { ExecRequest, ExitStatus, SandboxRef, SandboxRuntime } from '@paddock/core';

export type CompletedProcess = ExitStatus & { stdout: string; stderr: string };

const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;

/** Keeps the last `max` bytes of a stream: the tail is what explains a failure. */
async function collectTail(stream: ReadableStream<Uint8Array>, max: number): Promise<string> {
  let chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.byteLength;
    while (size > max && chunks.length > 1) size -= (chunks.shift() as Uint8Array).byteLength;
  }
  const all = Buffer.concat(chunks);
  chunks = [];
  return all.subarray(Math.max(0, all.byteLength - max)).toString('utf8');
}

/** Runs a command in a sandbox with no stdin and returns its exit status and the tail of its output. */
export async function runToCompletion(
  runtime: SandboxRuntime,
  ref: SandboxRef,
  request: ExecRequest,
  maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES,
): Promise<CompletedProcess> {
  const handle = await runtime.exec(ref, request);
  await handle.stdin.close().catch(() => {});
  const [stdout, stderr, exit] = await Promise.all([
    collectTail(handle.stdout, maxOutputBytes),
    collectTail(handle.stderr, maxOutputBytes),
    handle.exit,
  ]);
  return { ...exit, stdout, stderr };
}
