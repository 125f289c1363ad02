import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyStore, Role } from '@paddock/core';

export type { ApiKeyRecord, ApiKeyStore } from '@paddock/core';

/** Every Paddock API key starts with this, so a bearer token can be routed without a lookup. */
export const API_KEY_PREFIX = 'pdk_';
const SECRET_BYTES = 32;
const ID_CHARS = 8;
const API_KEY_FORMAT = /^pdk_[A-Za-z0-9_-]{43}$/;

/** A freshly generated key: `key` is shown to its owner once; only `id` and `hash` are stored. */
export type GeneratedApiKey = { id: string; key: string; hash: string };

/**
 * Generates a key: `pdk_` + 32 random bytes in base64url (43 characters). `id` is the key's
 * first 12 characters (`pdk_` + 8), a public handle that still leaves 208 secret bits; `hash` is
 * the SHA-256 hex of the whole key.
 */
export function generateApiKey(): GeneratedApiKey {
  const key = `${API_KEY_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
  return { id: apiKeyId(key), key, hash: hashApiKey(key) };
}

/** True when `text` has the shape of a Paddock API key (it may still be unknown or revoked). */
export function isApiKeyFormat(text: string): boolean {
  return API_KEY_FORMAT.test(text);
}

/** The public id of a key: its first 12 characters. */
export function apiKeyId(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + ID_CHARS);
}

/** SHA-256 of the key, lowercase hex: what the store keeps and looks up. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Compares two hex digests in constant time (for equal lengths), so a check after the indexed
 * lookup leaks nothing through timing. Different lengths are simply unequal.
 */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

export type IssueApiKeyInput = {
  ownerId: string;
  roles: Role[];
  name?: string;
  expiresAt?: Date;
};

/**
 * Generates a key for `ownerId` and stores its record. Returns the plaintext `key` (to show
 * once) and the stored record. Errors: those of `ApiKeyStore.create` (`validation_failed`,
 * `already_exists` in the practically impossible case of an id collision).
 */
export async function issueApiKey(
  store: ApiKeyStore,
  input: IssueApiKeyInput,
  now: Date,
): Promise<{ key: string; record: ApiKeyRecord }> {
  const { id, key, hash } = generateApiKey();
  const record: ApiKeyRecord = {
    id,
    hash,
    ownerId: input.ownerId,
    roles: [...input.roles],
    createdAt: now.toISOString(),
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt.toISOString() }),
  };
  return { key, record: await store.create(record) };
}
