/**
 * The MCP surface's own calls to the REST API. Each relays a `/mcp` request that was already
 * admitted and charged against its caller's rate limit, so it is authenticated again (with the
 * caller's token: the API's rules hold) but not charged a second time. Such calls carry this
 * process's random key in RELAY_HEADER; nothing outside the process knows it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const RELAY_HEADER = 'x-paddock-mcp-relay';

export class RelayKey {
  readonly #key = randomBytes(32);

  /** The header the MCP surface's REST client sends. */
  headers(): Record<string, string> {
    return { [RELAY_HEADER]: this.#key.toString('base64url') };
  }

  /** Whether a request's RELAY_HEADER holds this key (compared in constant time). */
  matches(value: string | string[] | undefined): boolean {
    if (typeof value !== 'string') return false;
    const given = Buffer.from(value, 'base64url');
    return given.length === this.#key.length && timingSafeEqual(given, this.#key);
  }
}
