import type { IncomingMessage } from 'node:http';
import { ErrorCode, PaddockError } from '@paddock/core';

function tooLarge(limit: number): PaddockError {
  return new PaddockError(ErrorCode.PayloadTooLarge, `request body exceeds ${limit} bytes`, {
    limitBytes: limit,
  });
}

/**
 * Reads the whole body, refusing (`payload_too_large`) as soon as it passes `limitBytes`, or
 * up front when `Content-Length` already says so.
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    throw tooLarge(limitBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limitBytes) {
      req.resume();
      throw tooLarge(limitBytes);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; malformed JSON is `validation_failed` naming the body. */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'request body is empty; JSON expected', {
      issues: [{ path: '(body)', message: 'JSON expected' }],
    });
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    const message = `not valid JSON: ${(cause as Error).message}`;
    throw new PaddockError(ErrorCode.ValidationFailed, `request body is ${message}`, {
      issues: [{ path: '(body)', message }],
    });
  }
}
