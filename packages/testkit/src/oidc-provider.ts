/**
 * A stand-in OpenID Connect provider for tests: a real HTTP listener (127.0.0.1, port 0) speaking
 * the authorization code flow with PKCE for one public client. It has no login form: `authorize`
 * redirects back at once with a code for the configured user (or with `access_denied` after
 * `denyNext()`). `token` checks what a real provider checks — the code is single-use and fresh,
 * `client_id` and `redirect_uri` match the authorization, the `code_verifier` hashes (S256) to the
 * recorded challenge — and answers with an RS256 id token signed by a key published at `jwks`.
 * Discovery, `token` and `jwks` send CORS headers so a browser page can call them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody, sendJson } from '@paddock/http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export type OidcTestUser = {
  sub: string;
  email?: string;
  name?: string;
  groups?: string[];
};

export type StandInOidcOptions = {
  /** The one public client (no secret) allowed to sign in. */
  clientId: string;
  user: OidcTestUser;
  /** When set, `redirect_uri` must be one of these; otherwise any http(s) URL is accepted. */
  redirectUris?: readonly string[];
  /** How long a code may wait before it is exchanged. Default 60 s. */
  codeTtlMs?: number;
  /** Lifetime of issued tokens in seconds. Default 300. */
  tokenTtlSec?: number;
  /** The clock of code expiry, in ms (tests move it); tokens use the real clock. */
  nowMs?: () => number;
};

/** One authorization request as the provider received it (for assertions). */
export type RecordedAuthorization = {
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string;
  codeChallengeMethod: string;
};

export type StandInOidc = {
  /** The issuer (`iss`), also the base URL of every endpoint. */
  issuer: string;
  clientId: string;
  /** Authorization requests that got a code, oldest first. */
  authorizations(): readonly RecordedAuthorization[];
  /** The user the next authorizations sign in. */
  setUser(user: OidcTestUser): void;
  /** The next authorization is refused by "the user": a redirect with `error=access_denied`. */
  denyNext(): void;
  close(): Promise<void>;
};

type PendingCode = RecordedAuthorization & { user: OidcTestUser; expiresAtMs: number };

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization',
  'access-control-max-age': '600',
};

/** Every JSON answer's headers. */
const JSON_ANSWER = { headers: { ...CORS, 'cache-control': 'no-store' } };

/** RFC 6749 §5.2 error answer of the token endpoint. */
function tokenError(res: ServerResponse, error: string, description: string, status = 400): void {
  sendJson(res, status, { error, error_description: description }, JSON_ANSWER);
}

/** A token request's form body (a few hundred bytes; 64 KiB is plenty). */
async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** RFC 7636 §4.1: 43 to 128 characters of the unreserved set. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Starts the provider; `close()` stops it. */
export async function startStandInOidc(options: StandInOidcOptions): Promise<StandInOidc> {
  const codeTtlMs = options.codeTtlMs ?? 60_000;
  const tokenTtlSec = options.tokenTtlSec ?? 300;
  const nowMs = options.nowMs ?? Date.now;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const codes = new Map<string, PendingCode>();
  const usedCodes = new Set<string>();
  const recorded: RecordedAuthorization[] = [];
  let user = options.user;
  let isDenyingNext = false;
  let issuer = '';

  const discovery = () => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    scopes_supported: ['openid', 'profile', 'email'],
  });

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    // RFC 6749 §4.1.2.1: a bad client or redirect URI is shown, never redirected to.
    const isRedirectAllowed =
      /^https?:\/\//.test(redirectUri) &&
      (options.redirectUris === undefined || options.redirectUris.includes(redirectUri));
    if (clientId !== options.clientId || !isRedirectAllowed) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(clientId !== options.clientId ? 'unknown client_id' : 'redirect_uri not allowed');
      return;
    }
    const state = q.get('state') ?? undefined;
    const back = new URL(redirectUri);
    const redirect = (params: Record<string, string>) => {
      for (const [key, value] of Object.entries(params)) back.searchParams.set(key, value);
      if (state !== undefined) back.searchParams.set('state', state);
      back.searchParams.set('iss', issuer);
      res.writeHead(302, { location: back.href });
      res.end();
    };
    const scope = q.get('scope') ?? '';
    const codeChallenge = q.get('code_challenge') ?? '';
    const codeChallengeMethod = q.get('code_challenge_method') ?? 'plain';
    const problem =
      q.get('response_type') !== 'code'
        ? ['unsupported_response_type', 'only response_type=code']
        : !scope.split(' ').includes('openid')
          ? ['invalid_scope', 'scope must include openid']
          : codeChallenge === '' || codeChallengeMethod !== 'S256'
            ? ['invalid_request', 'PKCE with code_challenge_method=S256 is required']
            : undefined;
    if (problem) {
      redirect({ error: problem[0] ?? '', error_description: problem[1] ?? '' });
      return;
    }
    if (isDenyingNext) {
      isDenyingNext = false;
      redirect({ error: 'access_denied', error_description: 'the user declined' });
      return;
    }
    const authorization: RecordedAuthorization = {
      clientId,
      redirectUri,
      scope,
      state,
      nonce: q.get('nonce') ?? undefined,
      codeChallenge,
      codeChallengeMethod,
    };
    recorded.push(authorization);
    const code = randomBytes(24).toString('base64url');
    codes.set(code, { ...authorization, user, expiresAtMs: nowMs() + codeTtlMs });
    redirect({ code });
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    if (form.get('grant_type') !== 'authorization_code') {
      tokenError(res, 'unsupported_grant_type', 'only authorization_code');
      return;
    }
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code);
    if (pending === undefined) {
      const why = usedCodes.has(code) ? 'the code was already used' : 'unknown code';
      tokenError(res, 'invalid_grant', why);
      return;
    }
    usedCodes.add(code);
    if (form.get('client_id') !== pending.clientId) {
      tokenError(res, 'invalid_client', 'client_id does not match the authorization', 401);
      return;
    }
    if (nowMs() > pending.expiresAtMs) {
      tokenError(res, 'invalid_grant', 'the code has expired');
      return;
    }
    if (form.get('redirect_uri') !== pending.redirectUri) {
      tokenError(res, 'invalid_grant', 'redirect_uri does not match the authorization');
      return;
    }
    const verifier = form.get('code_verifier') ?? '';
    if (!VERIFIER.test(verifier) || s256(verifier) !== pending.codeChallenge) {
      tokenError(res, 'invalid_grant', 'code_verifier does not match the code_challenge');
      return;
    }
    const { sub, ...profile } = pending.user;
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setSubject(sub)
        .setAudience(pending.clientId)
        .setIssuedAt()
        .setExpirationTime(`${tokenTtlSec}s`)
        .sign(privateKey);
    const nonce = pending.nonce === undefined ? {} : { nonce: pending.nonce };
    sendJson(
      res,
      200,
      {
        token_type: 'Bearer',
        expires_in: tokenTtlSec,
        scope: pending.scope,
        access_token: await sign({ scope: pending.scope, client_id: pending.clientId }),
        id_token: await sign({ ...profile, ...nonce, azp: pending.clientId }),
      },
      JSON_ANSWER,
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    const route = `${req.method} ${url.pathname}`;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS);
      res.end();
    } else if (route === 'GET /.well-known/openid-configuration') {
      sendJson(res, 200, discovery(), JSON_ANSWER);
    } else if (route === 'GET /jwks') {
      sendJson(res, 200, { keys: [jwk] }, JSON_ANSWER);
    } else if (route === 'GET /authorize') {
      authorize(url, res);
    } else if (route === 'POST /token') {
      await token(req, res);
    } else {
      sendJson(res, 404, { error: 'not_found', error_description: route }, JSON_ANSWER);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!sendJson(res, 500, { error: 'server_error' }, JSON_ANSWER)) res.end();
    });
  });
  issuer = await listen(server, 0, '127.0.0.1');

  return {
    issuer,
    clientId: options.clientId,
    authorizations: () => recorded,
    setUser: (next) => {
      user = next;
    },
    denyNext: () => {
      isDenyingNext = true;
    },
    close: () => closeServer(server),
  };
}
