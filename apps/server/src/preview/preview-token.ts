import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Principal, PrincipalVia } from '@paddock/control';
import { Role } from '@paddock/core';
import { z } from 'zod';

/** What a preview credential opens: one port of one sandbox, in one addressing mode. */
export type PreviewScope = {
  namespace: string;
  name: string;
  port: number;
  /** `host`: its own origin (`{port}--{name}--{ns}.preview.localhost`); `path`: `/preview/…`. */
  mode: 'host' | 'path';
};

/** `exchange`: the short-lived URL token; `session`: the cookie it is exchanged for. */
export const PreviewUse = { Exchange: 'x', Session: 's' } as const;
export type PreviewUse = (typeof PreviewUse)[keyof typeof PreviewUse];

/** How long a preview URL handed out by the ports route can be opened. */
export const PREVIEW_EXCHANGE_TTL_MS = 5 * 60 * 1000;
/** How long the preview cookie lasts (the session of one preview tab; not renewed). */
export const PREVIEW_SESSION_TTL_MS = 60 * 60 * 1000;

const Claims = z.strictObject({
  use: z.enum([PreviewUse.Exchange, PreviewUse.Session]),
  sub: z.string().min(1),
  roles: z.array(z.enum(Role)),
  via: z.enum(PrincipalVia),
  kid: z.string().optional(),
  ns: z.string().min(1),
  name: z.string().min(1),
  port: z.int().min(1).max(65535),
  mode: z.enum(['host', 'path']),
  /** Expiry, epoch milliseconds. */
  exp: z.int(),
  /** When the caller's own credential expires (`Principal.expiresAtMs`), epoch milliseconds. */
  cexp: z.int().optional(),
});
type Claims = z.infer<typeof Claims>;

/**
 * Signs and verifies preview credentials: `base64url(JSON claims).base64url(HMAC-SHA256)` with a
 * key made at start, so every credential dies with the process, or with `key` (a cluster's
 * replicas share one, so that each accepts what another signed). A credential names the caller
 * (id and roles, re-checked against the sandbox on every request) and the scope it opens; it is
 * useless for the API and for any other sandbox or port.
 */
export class PreviewSigner {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array = randomBytes(32)) {
    this.#key = key;
  }

  sign(principal: Principal, scope: PreviewScope, use: PreviewUse, nowMs: number): string {
    const claims: Claims = {
      use,
      sub: principal.id,
      roles: principal.roles,
      via: principal.via,
      ...(principal.keyId === undefined ? {} : { kid: principal.keyId }),
      ns: scope.namespace,
      name: scope.name,
      port: scope.port,
      mode: scope.mode,
      // Never past the credential it was made from: a preview outlives no expired token.
      exp: Math.min(
        nowMs + (use === PreviewUse.Exchange ? PREVIEW_EXCHANGE_TTL_MS : PREVIEW_SESSION_TTL_MS),
        principal.expiresAtMs ?? Infinity,
      ),
      ...(principal.expiresAtMs === undefined ? {} : { cexp: principal.expiresAtMs }),
    };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /**
   * The caller a credential stands for, when it is genuine, unexpired, of the `use` asked and
   * for exactly this scope; undefined otherwise (the caller answers `unauthenticated`).
   */
  verify(
    credential: string,
    scope: PreviewScope,
    use: PreviewUse,
    nowMs: number,
  ): Principal | undefined {
    const [body, mac, extra] = credential.split('.');
    if (body === undefined || mac === undefined || extra !== undefined) return undefined;
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: Claims;
    try {
      claims = Claims.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      return undefined;
    }
    const isForScope =
      claims.ns === scope.namespace &&
      claims.name === scope.name &&
      claims.port === scope.port &&
      claims.mode === scope.mode;
    if (claims.use !== use || !isForScope || claims.exp <= nowMs) return undefined;
    return {
      id: claims.sub,
      roles: claims.roles,
      via: claims.via,
      ...(claims.kid === undefined ? {} : { keyId: claims.kid }),
      ...(claims.cexp === undefined ? {} : { expiresAtMs: claims.cexp }),
    };
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}
