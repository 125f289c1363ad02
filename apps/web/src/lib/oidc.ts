/**
 * "Sign in with SSO" in the browser: OpenID Connect authorization code flow with PKCE, as a public
 * client. `startSsoSignIn` reads the provider's discovery document, keeps a PKCE verifier, `state`
 * and `nonce` in this tab's sessionStorage and sends the browser to the provider;
 * `completeSsoSignIn` (on `/auth/callback`) checks the answer, exchanges the code at the token
 * endpoint and hands back the id token, which the server verifies as a bearer token.
 */
import type { AuthConfig } from '@paddock/api';
import { z } from 'zod';
import {
  authorizationUrl,
  checkIdToken,
  createPkcePair,
  NO_PENDING_SIGN_IN,
  OidcDiscovery,
  randomToken,
  readCallback,
  redirectUriFor,
  type SsoFailure,
  TokenAnswer,
  tokenRequestBody,
} from './oidc-protocol.ts';
import { clientFor } from './session.ts';

export const SSO_CALLBACK_PATH = '/auth/callback';
const PENDING_KEY = 'paddock.oidc.pending';

/** What this tab remembers between leaving for the provider and coming back. */
const PendingSignIn = z.object({
  state: z.string(),
  nonce: z.string(),
  verifier: z.string(),
  clientId: z.string(),
  tokenEndpoint: z.url(),
  redirectUri: z.url(),
  /** The UI path to return to once signed in. */
  returnTo: z.string().regex(/^\/(?!\/)/),
});
type PendingSignIn = z.infer<typeof PendingSignIn>;

export type OidcClientConfig = NonNullable<AuthConfig['oidc']>;

/** How this server lets people sign in (public: `GET /api/v1/auth/config`). */
export function fetchAuthConfig(): Promise<AuthConfig> {
  return clientFor(undefined, 'default').authConfig();
}

async function discover(issuer: string): Promise<OidcDiscovery> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' } });
  } catch {
    throw new Error('The identity provider cannot be reached from this browser.');
  }
  if (!response.ok) {
    throw new Error(`The identity provider's discovery document failed (HTTP ${response.status}).`);
  }
  const parsed = OidcDiscovery.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new Error("The identity provider's discovery document is invalid.");
  if (parsed.data.issuer !== issuer) {
    throw new Error('The identity provider answers for another issuer than the configured one.');
  }
  return parsed.data;
}

/** Sends the browser to the provider; resolves only if it fails (then it throws). */
export async function startSsoSignIn(oidc: OidcClientConfig): Promise<void> {
  const discovery = await discover(oidc.issuer);
  const { verifier, challenge } = await createPkcePair();
  const here = window.location.pathname + window.location.search;
  const pending: PendingSignIn = {
    state: randomToken(),
    nonce: randomToken(),
    verifier,
    clientId: oidc.clientId,
    tokenEndpoint: discovery.token_endpoint,
    redirectUri: redirectUriFor(window.location.origin),
    returnTo: here.startsWith(SSO_CALLBACK_PATH) ? '/' : here,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  window.location.assign(
    authorizationUrl({
      authorizationEndpoint: discovery.authorization_endpoint,
      clientId: pending.clientId,
      redirectUri: pending.redirectUri,
      scopes: oidc.scopes,
      state: pending.state,
      nonce: pending.nonce,
      codeChallenge: challenge,
    }),
  );
}

/** The pending sign-in of this tab, taken out (it is good for one callback only). */
function takePending(): PendingSignIn | undefined {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (raw === null) return undefined;
  try {
    const parsed = PendingSignIn.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export type SsoOutcome = { returnTo: string } & ({ idToken: string } | { failure: SsoFailure });

async function exchange(pending: PendingSignIn, code: string): Promise<string | SsoFailure> {
  let response: Response;
  try {
    response = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: tokenRequestBody({
        code,
        verifier: pending.verifier,
        clientId: pending.clientId,
        redirectUri: pending.redirectUri,
      }),
    });
  } catch {
    return {
      code: 'provider_unreachable',
      message: "The identity provider's token endpoint cannot be reached from this browser.",
    };
  }
  const answer = TokenAnswer.safeParse(await response.json().catch(() => undefined));
  if (!answer.success) {
    return {
      code: 'invalid_token_response',
      message: `The identity provider's token endpoint gave no id token (HTTP ${response.status}).`,
    };
  }
  if ('error' in answer.data) {
    const { error, error_description: description } = answer.data;
    const expired = error === 'invalid_grant' ? ' The code may have expired or been used.' : '';
    return {
      code: error,
      message: `The identity provider refused the code (${error}${description ? `: ${description}` : ''}).${expired}`,
    };
  }
  const idToken = answer.data.id_token;
  const problem = checkIdToken(idToken, { nonce: pending.nonce, nowSec: Date.now() / 1000 });
  return problem ?? idToken;
}

async function complete(search: string): Promise<SsoOutcome> {
  const pending = takePending();
  const returnTo = pending?.returnTo ?? '/';
  const callback = readCallback(search, pending?.state);
  if ('failure' in callback) return { returnTo, failure: callback.failure };
  if (pending === undefined) return { returnTo, failure: NO_PENDING_SIGN_IN };
  const result = await exchange(pending, callback.code);
  return typeof result === 'string' ? { returnTo, idToken: result } : { returnTo, failure: result };
}

const completions = new Map<string, Promise<SsoOutcome>>();

/**
 * Finishes a sign-in on the callback page: the id token, or why it failed. Called twice with the
 * same query (React's strict mode runs effects twice), it does the exchange once.
 */
export function completeSsoSignIn(search: string): Promise<SsoOutcome> {
  let completion = completions.get(search);
  if (completion === undefined) {
    completion = complete(search);
    completions.set(search, completion);
  }
  return completion;
}

/** Whether this page load is the provider's redirect back to the UI. */
export const isSsoCallback = (pathname: string) => pathname === SSO_CALLBACK_PATH;
