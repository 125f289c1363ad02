import type { IncomingMessage } from 'node:http';
import { ErrorCode, PaddockError } from '@paddock/core';
import { BodyProblem, BodyReadError, readBody as readBounded } from '@paddock/http';

/** `validation_failed` about the request body as a whole: "request body {problem}". */
export function invalidBody(problem: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `request body ${problem}`, {
    issues: [{ path: '(body)', message: problem }],
  });
}

/**
 * Reads the whole body (`@paddock/http`'s `readBody`): past `limitBytes` it is
 * `payload_too_large`, a connection that closes before the body's end is `validation_failed`.
 * A refused body is left arriving; `sendError` with `req` answers it and closes the connection
 * once the rest has arrived.
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  try {
    return await readBounded(req, limitBytes);
  } catch (error) {
    if (!(error instanceof BodyReadError)) throw error;
    switch (error.problem) {
      case BodyProblem.TooLarge:
        throw new PaddockError(
          ErrorCode.PayloadTooLarge,
          `request body exceeds ${limitBytes} bytes`,
          { limitBytes },
        );
      case BodyProblem.CutOff:
        throw invalidBody('was cut off: the connection closed before its end');
    }
  }
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
