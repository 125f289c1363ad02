import type { IncomingMessage } from 'node:http';
import type { Principal } from '@paddock/control';
import { ErrorCode, PaddockError } from '@paddock/core';
import type { PreviewPath } from './preview-path.ts';
import {
  PREVIEW_SESSION_TTL_MS,
  type PreviewScope,
  type PreviewSigner,
  PreviewUse,
} from './preview-token.ts';

/** The preview session cookie (HttpOnly, SameSite=Lax, host-only; never forwarded to the app). */
export const PREVIEW_COOKIE = 'paddock_preview';

function cookieValues(req: IncomingMessage, name: string): string[] {
  return (req.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
}

/** Re-checks the caller a genuine credential names (`Authenticator.confirm`). */
export type ConfirmPrincipal = (principal: Principal) => Promise<Principal>;

/**
 * Who a preview request comes from: the signed `paddock_preview` query token (a link from the
 * ports route, at most 5 minutes old), else a `paddock_preview` session cookie for exactly this
 * sandbox port. Any other credential (an API key, a cookie made for another port or sandbox) is
 * ignored; without a valid one the request is `unauthenticated`. Every request re-checks the API
 * key the credential was minted with (`confirm`): once it is revoked, expired or gone, its links
 * and cookies are refused (`unauthenticated`, with the reason).
 */
export async function previewPrincipal(
  req: IncomingMessage,
  path: PreviewPath,
  signer: PreviewSigner,
  confirm: ConfirmPrincipal,
  nowMs: number,
): Promise<Principal> {
  if (path.token !== undefined) {
    const principal = signer.verify(path.token, path, PreviewUse.Exchange, nowMs);
    if (principal !== undefined) return confirm(principal);
    throw new PaddockError(
      ErrorCode.Unauthenticated,
      'this preview link is invalid or has expired (links last 5 minutes): open the preview again from Paddock',
    );
  }
  // A page on another preview host may have planted a same-named cookie: any valid one wins.
  let refusal: unknown;
  for (const value of cookieValues(req, PREVIEW_COOKIE)) {
    const principal = signer.verify(value, path, PreviewUse.Session, nowMs);
    if (principal === undefined) continue;
    try {
      return await confirm(principal);
    } catch (error) {
      refusal ??= error;
    }
  }
  if (refusal !== undefined) throw refusal;
  throw new PaddockError(
    ErrorCode.Unauthenticated,
    'no preview session for this sandbox port: open the preview from Paddock (the sandbox ports list or the web UI)',
  );
}

/**
 * The `Set-Cookie` value that opens this sandbox port (host-only, scoped to its mount path;
 * `Secure` when the preview listener serves https, so it is never sent over plain http).
 */
export function previewSessionCookie(
  principal: Principal,
  scope: PreviewScope & { prefix: string },
  signer: PreviewSigner,
  nowMs: number,
  isSecure: boolean,
): string {
  const value = signer.sign(principal, scope, PreviewUse.Session, nowMs);
  const path = scope.prefix === '' ? '/' : `${scope.prefix}/`;
  const maxAge = Math.floor(PREVIEW_SESSION_TTL_MS / 1000);
  const secure = isSecure ? '; Secure' : '';
  return `${PREVIEW_COOKIE}=${value}; Path=${path}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure}`;
}
