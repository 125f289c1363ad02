import type { IncomingMessage } from 'node:http';
import { ErrorCode, PaddockError } from '@paddock/core';

function tooLarge(limit: number): PaddockError {
  return new PaddockError(ErrorCode.PayloadTooLarge, `request body exceeds ${limit} bytes`, {
    limitBytes: limit,
  });
}

/** `validation_failed` about the request body as a whole: "request body {problem}". */
export function invalidBody(problem: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `request body ${problem}`, {
    issues: [{ path: '(body)', message: problem }],
  });
}

/**
 * Reads the whole body, refusing (`payload_too_large`) as soon as it passes `limitBytes`, or
 * up front when `Content-Length` already says so. A refused body is left flowing, never
 * destroyed: destroying the request closes the connection under a client that is still sending,
 * and it would never read the 413 (the error answer waits for the rest, see `unread-body.ts`).
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return Promise.reject(tooLarge(limitBytes));
  }
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
      if (size > limitBytes) settle(tooLarge(limitBytes));
      else chunks.push(chunk);
    };
    const onEnd = () => settle(undefined);
    const onError = (error: Error) => settle(error);
    // The client went away mid-body: nobody will read the answer, but the request must end.
    const onClose = () => settle(invalidBody('was cut off: the connection closed before its end'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/** Parses a JSON body; malformed JSON is `validation_failed` naming the body. */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) throw invalidBody('is empty; JSON expected');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw invalidBody(`is not valid JSON: ${(cause as Error).message}`);
  }
}
