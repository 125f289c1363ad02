import { ErrorCode, PaddockError } from '@paddock/core';

/** Pages an in-memory list: `continue` is the base64url offset of the next item. */
export function pageOf<T>(
  items: readonly T[],
  limit: number | undefined,
  token: string | undefined,
): { metadata: { resourceVersion: string; continue?: string }; items: T[] } {
  const offset = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'invalid continue token', {
      issues: [{ path: 'query.continue', message: 'is not a token from a previous page' }],
    });
  }
  const end = limit === undefined ? items.length : offset + limit;
  const next = end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined;
  return {
    metadata: { resourceVersion: '0', ...(next === undefined ? {} : { continue: next }) },
    items: items.slice(offset, end),
  };
}
