/**
 * Schema version 2: API keys, so every replica authenticates the same keys. Never edit it once
 * released; add `v3.ts` instead. Every statement is idempotent (`IF NOT EXISTS`).
 *
 * - `api_keys`: one row per API key, holding its SHA-256 `hash` (unique: the lookup key), never
 *   the key itself. `json` is the record without `lastUsedAt`, which has its own column so a use
 *   (`touch`) never rewrites the record a revoke may be rewriting. `created_at` and `id` are
 *   compared byte by byte (`COLLATE "C"`), so keys list in the same order as in SQLite whatever
 *   the database's locale.
 */
export const v2 = `
CREATE TABLE IF NOT EXISTS api_keys (
  id text COLLATE "C" PRIMARY KEY,
  hash text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  owner_id text NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  json text NOT NULL,
  last_used_at text
);
CREATE INDEX IF NOT EXISTS api_keys_by_owner ON api_keys (owner_id, created_at, id);
`;
