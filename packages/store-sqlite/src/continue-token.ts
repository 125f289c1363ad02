import { ErrorCode, PaddockError } from '@paddock/core';
import { z } from 'zod';

/**
 * What a list `continue` token carries: the key of the last item returned (pages are ordered by
 * namespace, then name) and the resourceVersion of the first page, which every later page reports
 * too, so a watch from it misses nothing that changed while the client paged.
 */
export const ContinueToken = z.strictObject({
  v: z.literal(1),
  kind: z.string(),
  resourceVersion: z.string().regex(/^\d+$/),
  namespace: z.string(),
  name: z.string(),
});
export type ContinueToken = z.infer<typeof ContinueToken>;

/** Encodes a token as opaque base64url text. */
export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

/** Decodes a token for `kind`; anything else (forged, truncated, another kind's) is `validation_failed`. */
export function decodeContinue(text: string, kind: string): ContinueToken {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const result = ContinueToken.safeParse(value);
  if (!result.success || result.data.kind !== kind) {
    const message = 'is not a continue token from a previous list of this kind';
    throw new PaddockError(ErrorCode.ValidationFailed, `invalid continue token: ${message}`, {
      issues: [{ path: 'continue', message }],
    });
  }
  return result.data;
}
