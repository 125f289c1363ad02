import type { SandboxRef } from '@paddock/core';
import { type Reply, streamed } from '../http/respond.ts';
import type { HandlerCall } from '../server-deps.ts';
import { sendFileStream } from './file-stream.ts';

/**
 * Streams the file at `path` as the response, with its Content-Length (and `headers`).
 * Refusals (not_found, a directory, outside the sandbox) come before any byte is sent.
 */
export async function sendFile(
  call: HandlerCall,
  ref: SandboxRef,
  path: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const read = await call.deps.engine.runtime.files.readStream(ref, path);
  call.res.writeHead(200, {
    ...headers,
    'content-type': 'application/octet-stream',
    'content-length': read.sizeBytes,
    'x-request-id': call.ctx.requestId,
  });
  const failure = await sendFileStream(call.res, read.stream);
  if (failure !== undefined) throw failure;
  return streamed();
}

/** Streams a tar archive of the file or directory at `path` as the response (and `headers`). */
export async function sendArchive(
  call: HandlerCall,
  ref: SandboxRef,
  path: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const tar = await call.deps.engine.runtime.files.download(ref, path);
  call.res.writeHead(200, {
    ...headers,
    'content-type': 'application/x-tar',
    'x-request-id': call.ctx.requestId,
  });
  // At the client's pace too: a slow client must not make the server hold the archive.
  const failure = await sendFileStream(call.res, tar);
  if (failure !== undefined) throw failure;
  return streamed();
}
