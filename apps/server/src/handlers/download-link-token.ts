import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DownloadKind } from '@paddock/api';
import { type Principal, PrincipalVia } from '@paddock/control';
import { ErrorCode, PaddockError, Role } from '@paddock/core';
import { z } from 'zod';

/** How long a download link can be opened; a download started before goes on. */
export const DOWNLOAD_LINK_TTL_MS = 60 * 1000;

/** What a link downloads: one path of one incarnation (uid) of one sandbox, as a file or archive. */
export type DownloadScope = {
  namespace: string;
  name: string;
  uid: string;
  path: string;
  kind: DownloadKind;
};

/** Why a link is refused (`details.reason` of its 403). */
export const LinkProblem = {
  Malformed: 'malformed',
  BadSignature: 'bad_signature',
  Expired: 'expired',
  OtherSandbox: 'other_sandbox',
  SandboxReplaced: 'sandbox_replaced',
  SignerRefused: 'signer_refused',
} as const;
export type LinkProblem = (typeof LinkProblem)[keyof typeof LinkProblem];

const Claims = z.strictObject({
  sub: z.string().min(1),
  roles: z.array(z.enum(Role)),
  via: z.enum(PrincipalVia),
  kid: z.string().optional(),
  /** When the signer's own credential expires (`Principal.expiresAtMs`), epoch milliseconds. */
  cexp: z.int().optional(),
  ns: z.string().min(1),
  name: z.string().min(1),
  uid: z.string(),
  path: z.string().min(1),
  kind: DownloadKind,
  /** Expiry, epoch milliseconds. */
  exp: z.int(),
});
type Claims = z.infer<typeof Claims>;

/** A link refused for `reason`: 403 `forbidden`, the message saying what is wrong. */
export function linkRefused(reason: LinkProblem, message: string): PaddockError {
  return new PaddockError(ErrorCode.Forbidden, message, { reason });
}

/**
 * Signs and checks download link tokens: `base64url(JSON claims).base64url(HMAC-SHA256)`. The key
 * is derived from `key` (a cluster's shared preview key, so every replica accepts another's
 * links) under a label of its own, so no preview credential is ever a download token; without
 * one each process makes its own (links die with it, after 60 s anyway). A token names the signer
 * (id, roles, API key), re-checked on use, and exactly what it downloads.
 */
export class DownloadLinkSigner {
  readonly #key: Buffer;

  constructor(key: Uint8Array = randomBytes(32)) {
    this.#key = createHmac('sha256', key).update('paddock download links v1').digest();
  }

  /** A token for `scope`, expiring in 60 s or with the signer's credential, whichever is first. */
  sign(principal: Principal, scope: DownloadScope, nowMs: number): { token: string; exp: number } {
    const claims: Claims = {
      sub: principal.id,
      roles: principal.roles,
      via: principal.via,
      ...(principal.keyId === undefined ? {} : { kid: principal.keyId }),
      ...(principal.expiresAtMs === undefined ? {} : { cexp: principal.expiresAtMs }),
      ns: scope.namespace,
      name: scope.name,
      uid: scope.uid,
      path: scope.path,
      kind: scope.kind,
      exp: Math.min(nowMs + DOWNLOAD_LINK_TTL_MS, principal.expiresAtMs ?? Infinity),
    };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${body}.${this.#mac(body)}`, exp: claims.exp };
  }

  /**
   * The signer and scope of a genuine, unexpired token used on the sandbox `at`; else throws
   * `forbidden` naming the problem (`details.reason`, a `LinkProblem`).
   */
  verify(
    token: string,
    at: { namespace: string; name: string },
    nowMs: number,
  ): { principal: Principal; scope: DownloadScope } {
    const [body, mac, extra] = token.split('.');
    if (body === undefined || mac === undefined || extra !== undefined) {
      throw linkRefused(
        LinkProblem.Malformed,
        'this download link is malformed: its token is not one Paddock signs',
      );
    }
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw linkRefused(
        LinkProblem.BadSignature,
        "this download link's signature does not match: it was altered, or signed by another server",
      );
    }
    let claims: Claims;
    try {
      claims = Claims.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      throw linkRefused(LinkProblem.Malformed, 'this download link is malformed: bad claims');
    }
    if (claims.exp <= nowMs) {
      throw linkRefused(
        LinkProblem.Expired,
        `this download link expired at ${new Date(claims.exp).toISOString()} (links last ${DOWNLOAD_LINK_TTL_MS / 1000} s): ask for a new one`,
      );
    }
    if (claims.ns !== at.namespace || claims.name !== at.name) {
      throw linkRefused(
        LinkProblem.OtherSandbox,
        `this download link is for sandbox ${claims.ns}/${claims.name}, not ${at.namespace}/${at.name}`,
      );
    }
    return {
      principal: {
        id: claims.sub,
        roles: claims.roles,
        via: claims.via,
        ...(claims.kid === undefined ? {} : { keyId: claims.kid }),
        ...(claims.cexp === undefined ? {} : { expiresAtMs: claims.cexp }),
      },
      scope: {
        namespace: claims.ns,
        name: claims.name,
        uid: claims.uid,
        path: claims.path,
        kind: claims.kind,
      },
    };
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}
