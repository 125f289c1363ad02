import type { IncomingMessage } from 'node:http';
import { BodyProblem, BodyReadError } from './body-error.ts';

/**
 * Reads the whole request body, at most `limitBytes`. Rejects with a {@link BodyReadError}:
 * `too_large` up front when `Content-Length` already says so, or as soon as the count passes the
 * limit; `cut_off` when the connection fails or closes before the body's end.
 *
 * A refused body is left flowing, never destroyed: destroying the request closes the connection
 * under a client that is still sending, and it would never read the 413. Answer it with
 * `sendWhole(res, answer, {req})`, which closes the connection only once the rest has arrived.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return Promise.reject(new BodyReadError(BodyProblem.TooLarge, limitBytes));
  }
  if (req.readableEnded) return Promise.reject(new Error('the request body was already read'));
  if (req.destroyed) return Promise.reject(new BodyReadError(BodyProblem.CutOff, limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error: Error | undefined) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error === undefined) resolve(Buffer.concat(chunks));
      else {
        chunks.length = 0;
        reject(error);
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) settle(new BodyReadError(BodyProblem.TooLarge, limitBytes));
      else chunks.push(chunk);
    };
    const onEnd = () => settle(undefined);
    const onError = (cause: Error) =>
      settle(new BodyReadError(BodyProblem.CutOff, limitBytes, { cause }));
    // The client went away mid-body: nobody will read the answer, but the read must end.
    const onClose = () => settle(new BodyReadError(BodyProblem.CutOff, limitBytes));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}
