import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type DrainLimits, endAfterBody, isBodyArriving } from './unread-body.ts';

/** An answer sent in one piece: the caller picks the body, in whatever shape its surface speaks. */
export type WholeAnswer = {
  status: number;
  headers?: OutgoingHttpHeaders;
  body: string | Uint8Array;
};

export type SendOptions = {
  /**
   * The request being answered. While its body is still arriving (an answer given before, or
   * instead of, reading it: 413, 401, 404 …) the answer says `Connection: close`, and the
   * connection closes only once the rest of the body has arrived (see `endAfterBody`).
   */
  req?: IncomingMessage;
  drainLimits?: DrainLimits;
};

/**
 * Writes a whole answer with its `Content-Length`. Returns false, writing nothing, when it is
 * too late for one (headers already sent, or the connection gone): the caller decides whether
 * to end or destroy what it had started.
 */
export function sendWhole(
  res: ServerResponse,
  answer: WholeAnswer,
  options: SendOptions = {},
): boolean {
  if (res.headersSent || res.destroyed) return false;
  const { req } = options;
  const isArriving = req !== undefined && isBodyArriving(req);
  res.writeHead(answer.status, {
    ...answer.headers,
    'content-length': Buffer.byteLength(answer.body),
    ...(isArriving ? { connection: 'close' } : {}),
  });
  if (isArriving) {
    res.write(answer.body);
    endAfterBody(req, res, options.drainLimits);
  } else res.end(answer.body);
  return true;
}

/** {@link sendWhole} with `value` as JSON (`Content-Type: application/json`). */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  options: SendOptions & { headers?: OutgoingHttpHeaders } = {},
): boolean {
  const headers = { ...options.headers, 'content-type': 'application/json' };
  return sendWhole(res, { status, headers, body: JSON.stringify(value) }, options);
}
