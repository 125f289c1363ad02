import type { ServerResponse } from 'node:http';

/**
 * Writes `chunk`, waiting for `drain` when the socket's buffer is full, so a slow client slows
 * whatever feeds the response instead of growing memory. Resolves false when the client went
 * away (nothing more should be written).
 */
export async function writeWithBackpressure(
  res: ServerResponse,
  chunk: Uint8Array | string,
): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = (isOpen: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(isOpen);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
