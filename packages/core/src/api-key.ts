import { z } from 'zod';
import { ErrorCode, PaddockError } from './errors.ts';

/**
 * Roles of a caller. `admin` sees and touches everything; `user` sees its own sandboxes and those
 * shared with it. Deny by default: a caller with neither role can do nothing.
 */
export const Role = { Admin: 'admin', User: 'user' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Lowercase hex SHA-256 digest: what is stored of an API key, never the key itself. */
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256 digest');
const Timestamp = z.iso.datetime({ offset: true });

/**
 * One stored API key. The plaintext key (`pdk_…`) is shown once when created and never stored;
 * `hash` is its SHA-256. `id` is the key's public prefix (`pdk_` + 8 characters), safe to show
 * in lists and audit records. A key authenticates as `ownerId` with `roles`, until `expiresAt`
 * (when set) or until revoked.
 */
export const ApiKeyRecord = z.strictObject({
  id: z.string().regex(/^pdk_[A-Za-z0-9_-]{8}$/, 'must be pdk_ followed by 8 base64url characters'),
  hash: Sha256Hex,
  ownerId: z.string().min(1),
  /** A label for people: "laptop", "ci". */
  name: z.string().max(200).optional(),
  roles: z.array(z.enum(Role)).min(1),
  createdAt: Timestamp,
  expiresAt: Timestamp.optional(),
  lastUsedAt: Timestamp.optional(),
  revokedAt: Timestamp.optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecord>;

const ApiKeyRow = z.object({
  id: z.string(),
  json: z.string(),
  last_used_at: z.string().nullable(),
});

/**
 * An `api_keys` row of a SQL store read back: the record from its `json` column plus the
 * `last_used_at` column. A row that fails the check is `internal`, naming the row's `id`.
 * Shared by the SQL stores (SQLite, PostgreSQL), which hold the same table.
 */
export function decodeApiKeyRow(row: unknown): ApiKeyRecord {
  const parsed = ApiKeyRow.safeParse(row);
  let value: unknown;
  if (parsed.success) {
    try {
      const stored: unknown = JSON.parse(parsed.data.json);
      const lastUsedAt = parsed.data.last_used_at;
      value = lastUsedAt === null ? stored : { ...Object(stored), lastUsedAt };
    } catch {
      value = undefined;
    }
  }
  const checked = ApiKeyRecord.safeParse(value);
  if (!parsed.success || !checked.success) {
    const id = parsed.success ? parsed.data.id : null;
    throw new PaddockError(ErrorCode.Internal, `a corrupt row in the api_keys table (${id})`, {
      id,
    });
  }
  return checked.data;
}

/** The record as an `api_keys` row's `json` column holds it: without `lastUsedAt`, which has its own column. */
export function apiKeyRowJson(record: ApiKeyRecord): string {
  const { lastUsedAt: _, ...rest } = record;
  return JSON.stringify(rest);
}

/**
 * Where API keys live (SQLite locally). Implementations validate records with `ApiKeyRecord`
 * on the way in and on the way out.
 * - `create` stores a new record; an `id` or `hash` already present is `already_exists`; an
 *   invalid record is `validation_failed`.
 * - `findByHash` returns the record with that hash (revoked and expired ones too: the caller
 *   decides), or `undefined`.
 * - `findById` is the same by the public `id` (to re-check a key a credential was minted from).
 * - `list` returns every key, or those of `ownerId`, oldest first.
 * - `revoke` sets `revokedAt` (idempotent: an already revoked key keeps its first time) and returns
 *   the record; an unknown `id` is `not_found`.
 * - `touch` records `when` as the last use; an unknown `id` is ignored (the key may just have been
 *   deleted).
 */
export interface ApiKeyStore {
  create(record: ApiKeyRecord): Promise<ApiKeyRecord>;
  findByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  findById(id: string): Promise<ApiKeyRecord | undefined>;
  list(ownerId?: string): Promise<ApiKeyRecord[]>;
  revoke(id: string, when?: Date): Promise<ApiKeyRecord>;
  touch(id: string, when: Date): Promise<void>;
  close(): Promise<void>;
}
