/** Token bucket per key: `ratePerSec` sustained, `burst` at once. */
export type RateLimitOptions = { ratePerSec: number; burst: number; maxKeys?: number };

type Bucket = { tokens: number; updatedMs: number };

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSec: number };

export class RateLimiter {
  readonly #options: Required<RateLimitOptions>;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions) {
    this.#options = { maxKeys: 10_000, ...options };
  }

  /** Takes one token for `key`; when none is left, says how long until one is. */
  take(key: string, nowMs: number): RateDecision {
    const { ratePerSec, burst, maxKeys } = this.#options;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, updatedMs: nowMs };
    const elapsedSec = Math.max(0, nowMs - bucket.updatedMs) / 1000;
    bucket.tokens = Math.min(burst, bucket.tokens + elapsedSec * ratePerSec);
    bucket.updatedMs = nowMs;
    // Re-insert so the map's order is least recently used first, for eviction.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSec: Math.ceil((1 - bucket.tokens) / ratePerSec) };
  }
}
