import type { IncomingMessage, ServerResponse } from 'node:http';

/** How much of a body that is still arriving after an early answer is read (and dropped). */
export const DRAIN_LIMIT_BYTES = 128 * 1024 * 1024;
/** How long the rest of such a body may take before the connection is closed anyway. */
export const DRAIN_TIMEOUT_MS = 30_000;

export type DrainLimits = { bytes: number; timeoutMs: number };

/** Whether the client is still sending the request's body (it has not all arrived). */
export function isBodyArriving(req: IncomingMessage): boolean {
  return !req.complete && !req.destroyed;
}

/**
 * Ends `res` once the rest of `req`'s body has arrived, dropping it, or when `limits` run out.
 *
 * An answer given before the body has all arrived (413, 401, 404 …) goes out with
 * `Connection: close`, and Node.js closes the socket as soon as the response ends. Closing a
 * socket with unread bytes in it makes the kernel send a reset, and a reset can destroy the
 * answer on its way to, or unread in, the client: it sees ECONNRESET instead of the 413. So the
 * caller writes the whole answer (its length is in `Content-Length`, the client can read it at
 * once), and only the end of the response, which closes the connection, waits for the body.
 */
export function endAfterBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits: DrainLimits = { bytes: DRAIN_LIMIT_BYTES, timeoutMs: DRAIN_TIMEOUT_MS },
): void {
  if (!isBodyArriving(req)) {
    res.end();
    return;
  }
  let droppedBytes = 0;
  const finish = () => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', finish);
    req.off('close', finish);
    req.off('error', finish);
    res.end();
  };
  const onData = (chunk: Buffer) => {
    droppedBytes += chunk.length;
    if (droppedBytes > limits.bytes) finish();
  };
  const timer = setTimeout(finish, limits.timeoutMs);
  timer.unref();
  req.on('data', onData);
  req.once('end', finish);
  req.once('close', finish);
  req.once('error', finish);
  req.resume();
}
