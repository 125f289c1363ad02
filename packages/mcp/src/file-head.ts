/** The start of a file in a sandbox, for MCP answers that carry content in one message. */
import type { PaddockClient } from '@paddock/client';

/**
 * At most `maxBytes` from the start of the file (the read is cancelled there, so a file of any
 * size costs no more) and the whole file's size. Refusals are the files API's errors.
 */
export async function readFileHead(
  client: PaddockClient,
  name: string,
  path: string,
  scope: { namespace?: string; signal?: AbortSignal },
  maxBytes: number,
): Promise<{ bytes: Uint8Array; sizeBytes: number }> {
  const { sizeBytes, stream } = await client.sandboxes.files.readStream(name, path, scope);
  const bytes = new Uint8Array(Math.min(sizeBytes, maxBytes));
  let at = 0;
  const reader = stream.getReader();
  try {
    while (at < bytes.byteLength) {
      const next = await reader.read();
      if (next.done) break;
      const part = next.value.subarray(0, bytes.byteLength - at);
      bytes.set(part, at);
      at += part.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return { bytes: bytes.subarray(0, at), sizeBytes };
}
