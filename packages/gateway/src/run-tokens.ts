import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { ErrorCode, PaddockError, parseInput, RunGrant } from '@paddock/core';
import { z } from 'zod';

/** The prefix of every run token, so logs and scanners can tell one apart from a provider key. */
export const RUN_TOKEN_PREFIX = 'pgt_';

/** The shortest secret accepted, in bytes. */
export const MIN_SECRET_BYTES = 32;

/** How many verified tokens are remembered (about one per active run). */
const GENUINE_TOKENS_KEPT = 1024;

const Payload = z.strictObject({ grant: RunGrant, expMs: z.int().positive() });

/**
 * Issues and verifies run tokens. Stateless: a token is `pgt_<payload>.<mac>` (both base64url),
 * the payload being the grant and an expiry and the mac its HMAC-SHA256 under the secret, so
 * tokens survive a restart of the gateway as long as the secret does.
 */
export type RunTokens = {
  /** A token for `grant` valid for `ttlMs` from now. */
  issue(grant: RunGrant, ttlMs: number): string;
  /** The grant of a genuine, unexpired token; `undefined` for anything else. */
  verify(token: string): RunGrant | undefined;
  /** As `verify`, with when the token expires (ms since the epoch). */
  accept(token: string): { grant: RunGrant; expiresAtMs: number } | undefined;
};

/**
 * Run tokens under `secret` (at least {@link MIN_SECRET_BYTES} random bytes, kept by the
 * composition root; rotating it invalidates every token). `now` is the clock expiry is read from.
 * Throws `validation_failed` for a short secret, a bad grant or a non-positive ttl.
 */
export function createRunTokens(secret: Uint8Array, options: { now?: () => Date } = {}): RunTokens {
  if (secret.byteLength < MIN_SECRET_BYTES) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `the run token secret must be at least ${MIN_SECRET_BYTES} bytes`,
      { issues: [{ path: 'secret', message: `shorter than ${MIN_SECRET_BYTES} bytes` }] },
    );
  }
  const key = createSecretKey(Buffer.from(secret));
  const now = options.now ?? (() => new Date());
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  // Tokens already proven genuine (a run presents the same one on every call): only the expiry
  // is read again. The oldest entry goes first past the bound.
  const genuine = new Map<string, z.infer<typeof Payload>>();

  /** The payload of a genuine, unexpired token; `undefined` for anything else. */
  function accepted(token: string): z.infer<typeof Payload> | undefined {
    const known = genuine.get(token);
    if (known !== undefined) return known.expMs > now().getTime() ? known : undefined;
    if (!token.startsWith(RUN_TOKEN_PREFIX)) return undefined;
    const [encoded, signature, extra] = token.slice(RUN_TOKEN_PREFIX.length).split('.');
    if (encoded === undefined || signature === undefined || extra !== undefined) return undefined;
    const expected = mac(encoded);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const payload = Payload.safeParse(parseJson(Buffer.from(encoded, 'base64url').toString()));
    if (!payload.success || payload.data.expMs <= now().getTime()) return undefined;
    if (genuine.size >= GENUINE_TOKENS_KEPT) genuine.delete(genuine.keys().next().value ?? '');
    genuine.set(token, payload.data);
    return payload.data;
  }

  return {
    issue(grant, ttlMs) {
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
        throw new PaddockError(ErrorCode.ValidationFailed, 'ttlMs must be a positive number', {
          issues: [{ path: 'ttlMs', message: 'must be positive' }],
        });
      }
      const payload = {
        grant: parseInput(RunGrant, grant, 'run grant'),
        expMs: Math.ceil(now().getTime() + ttlMs),
      };
      const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${RUN_TOKEN_PREFIX}${encoded}.${mac(encoded).toString('base64url')}`;
    },

    verify: (token) => accepted(token)?.grant,

    accept(token) {
      const payload = accepted(token);
      return payload === undefined
        ? undefined
        : { grant: payload.grant, expiresAtMs: payload.expMs };
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
