/**
 * The pure part of "Sign in with SSO" (OpenID Connect authorization code flow with PKCE, RFC 7636,
 * for a public client): random values and the S256 challenge (WebCrypto), the authorization URL,
 * the token request, and the checks of what comes back (callback parameters, provider answers,
 * the id token's nonce and expiry). No storage, no navigation: see oidc.ts for those.
 */
import { z } from 'zod';

/** The parts of a provider's discovery document (`/.well-known/openid-configuration`) we use. */
export const OidcDiscovery = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url({ protocol: /^https?$/ }),
  token_endpoint: z.url({ protocol: /^https?$/ }),
});
export type OidcDiscovery = z.infer<typeof OidcDiscovery>;

/** A token endpoint's answer: tokens (RFC 6749 §5.1, OIDC Core §3.1.3.3) or an error (§5.2). */
export const TokenAnswer = z.union([
  z.object({ id_token: z.string().min(1), access_token: z.string().optional() }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);
export type TokenAnswer = z.infer<typeof TokenAnswer>;

const IdTokenClaims = z.object({
  nonce: z.string().optional(),
  exp: z.number(),
  sub: z.string().min(1),
});

/** Why a sign-in failed, for people; `code` is stable for tests and branching. */
export type SsoFailure = { code: string; message: string };

/** `bytes` as base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A random base64url string from `byteCount` random bytes (32 bytes → 43 characters). */
export function randomToken(byteCount = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** The S256 code challenge of a verifier: base64url(SHA-256(ASCII(verifier))). */
export async function s256Challenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** A fresh PKCE pair: a 43-character verifier and its S256 challenge. */
export async function createPkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = randomToken(32);
  return { verifier, challenge: await s256Challenge(verifier) };
}

export type AuthorizationRequest = {
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  scopes: string;
  state: string;
  nonce: string;
  codeChallenge: string;
};

/** The provider URL the browser is sent to; parameters already on the endpoint are kept. */
export function authorizationUrl(request: AuthorizationRequest): string {
  const url = new URL(request.authorizationEndpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scopes,
    state: request.state,
    nonce: request.nonce,
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

/** The form body of the code exchange (a public client: no secret). */
export function tokenRequestBody(exchange: {
  code: string;
  verifier: string;
  clientId: string;
  redirectUri: string;
}): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    code: exchange.code,
    code_verifier: exchange.verifier,
    client_id: exchange.clientId,
    redirect_uri: exchange.redirectUri,
  });
}

/** The redirect target of a UI served at `origin`. */
export const redirectUriFor = (origin: string) => `${origin}/auth/callback`;

/** A callback this tab has no record of sending (another tab's, or one already used). */
export const NO_PENDING_SIGN_IN: SsoFailure = {
  code: 'no_pending_sign_in',
  message: 'This sign-in was not started from this tab, or it has already been used; try again.',
};

/**
 * Reads the callback's query string against the `state` this tab sent (undefined when the tab
 * sent none: a callback it did not start). A provider error, a missing or foreign state, or a
 * missing code is a failure.
 */
export function readCallback(
  search: string,
  expectedState: string | undefined,
): { code: string } | { failure: SsoFailure } {
  const q = new URLSearchParams(search);
  const error = q.get('error');
  if (expectedState === undefined) return { failure: NO_PENDING_SIGN_IN };
  if (q.get('state') !== expectedState) {
    return {
      failure: {
        code: 'state_mismatch',
        message: 'The sign-in answer does not match the request (state mismatch); try again.',
      },
    };
  }
  if (error !== null) {
    const description = q.get('error_description');
    const message =
      error === 'access_denied'
        ? 'Sign-in was cancelled or denied at the identity provider.'
        : `The identity provider refused the sign-in (${error}).`;
    return {
      failure: { code: error, message: description ? `${message} ${description}` : message },
    };
  }
  const code = q.get('code');
  if (!code) {
    return { failure: { code: 'no_code', message: 'The identity provider sent no code.' } };
  }
  return { code };
}

/** The payload of a compact JWS, unverified (the server verifies the signature). */
function jwtPayload(jwt: string): unknown {
  const part = jwt.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const padded = part.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(padded + '='.repeat((4 - (padded.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/**
 * Checks an id token before keeping it: its `nonce` is the one this tab sent (a replayed token
 * is refused) and it has not expired. The signature, issuer and audience are the server's checks.
 */
export function checkIdToken(
  idToken: string,
  expected: { nonce: string; nowSec: number },
): SsoFailure | undefined {
  const claims = IdTokenClaims.safeParse(jwtPayload(idToken));
  if (!claims.success) {
    return { code: 'invalid_id_token', message: 'The identity provider sent an unreadable token.' };
  }
  if (claims.data.nonce !== expected.nonce) {
    return {
      code: 'nonce_mismatch',
      message: 'The token from the identity provider was not issued for this sign-in (nonce).',
    };
  }
  if (claims.data.exp <= expected.nowSec) {
    return { code: 'expired', message: 'The token from the identity provider has expired.' };
  }
  return undefined;
}
