import {
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
} from 'jose';
import { AuthFailureReason, authFailure } from './auth-failure.ts';

export type JwksCacheOptions = {
  issuer: string;
  /** The key set URL; discovered from `${issuer}/.well-known/openid-configuration` when absent. */
  jwksUrl?: string;
  /** How long fetched keys are used before they are fetched again. */
  cacheMaxAgeMs: number;
  /** Minimum time between two fetches caused by a token whose `kid` is unknown. */
  refetchCooldownMs: number;
  /** Per-request time limit for discovery and key set fetches. */
  fetchTimeoutMs: number;
  fetch: typeof fetch;
  now: () => Date;
};

type Loaded = { keys: ReturnType<typeof createLocalJWKSet>; fetchedAtMs: number };

function unavailable(what: string, cause?: unknown): Error {
  const message = `cannot verify the token: ${what}`;
  return authFailure(
    AuthFailureReason.KeysUnavailable,
    message,
    cause === undefined ? undefined : { cause },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJwkSet(value: unknown): value is JSONWebKeySet {
  return isRecord(value) && Array.isArray(value.keys) && value.keys.every(isRecord);
}

/**
 * The issuer's signing keys: discovered once, fetched lazily, kept for `cacheMaxAgeMs`, and
 * fetched again early when a token names a `kid` the cached set lacks, at most once per
 * `refetchCooldownMs` (so forged `kid`s cannot make us hammer the identity provider).
 * Concurrent fetches are coalesced. Fetch failures are `unauthenticated` with reason
 * `keys_unavailable` and are not cached.
 */
export class JwksCache {
  readonly #options: JwksCacheOptions;
  #jwksUrl: string | undefined;
  #loaded: Loaded | undefined;
  #lastFetchMs = Number.NEGATIVE_INFINITY;
  #pending: Promise<Loaded> | undefined;

  constructor(options: JwksCacheOptions) {
    this.#options = options;
    this.#jwksUrl = options.jwksUrl;
  }

  /** The key resolver for `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ) => {
    const nowMs = this.#options.now().getTime();
    let loaded = this.#loaded;
    if (loaded === undefined || nowMs - loaded.fetchedAtMs >= this.#options.cacheMaxAgeMs) {
      loaded = await this.#reload();
    }
    try {
      return await loaded.keys(header, token);
    } catch (error) {
      const isCoolingDown = nowMs - this.#lastFetchMs < this.#options.refetchCooldownMs;
      if (!(error instanceof errors.JWKSNoMatchingKey) || isCoolingDown) throw error;
      const fresh = await this.#reload();
      return fresh.keys(header, token);
    }
  };

  #reload(): Promise<Loaded> {
    this.#pending ??= this.#fetchKeys().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetchKeys(): Promise<Loaded> {
    const url = this.#jwksUrl ?? (await this.#discover());
    this.#lastFetchMs = this.#options.now().getTime();
    const body = await this.#getJson(url, 'the key set');
    if (!isJwkSet(body)) throw unavailable(`${url} did not return a JSON Web Key Set`);
    const loaded = { keys: createLocalJWKSet(body), fetchedAtMs: this.#lastFetchMs };
    this.#loaded = loaded;
    return loaded;
  }

  async #discover(): Promise<string> {
    const issuer = this.#options.issuer.replace(/\/+$/, '');
    const url = `${issuer}/.well-known/openid-configuration`;
    const body = await this.#getJson(url, 'the OpenID configuration');
    if (!isRecord(body) || typeof body.jwks_uri !== 'string') {
      throw unavailable(`${url} has no jwks_uri`);
    }
    // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
    if (body.issuer !== this.#options.issuer) {
      throw unavailable(
        `${url} names issuer ${JSON.stringify(body.issuer)}, not the configured one`,
      );
    }
    this.#jwksUrl = body.jwks_uri;
    return body.jwks_uri;
  }

  async #getJson(url: string, what: string): Promise<unknown> {
    let response: Response;
    try {
      response = await this.#options.fetch(url, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.#options.fetchTimeoutMs),
      });
    } catch (error) {
      throw unavailable(`fetching ${what} from ${url} failed`, error);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw unavailable(`fetching ${what} from ${url} returned HTTP ${response.status}`);
    }
    try {
      return await response.json();
    } catch (error) {
      throw unavailable(`${what} at ${url} is not JSON`, error);
    }
  }
}
