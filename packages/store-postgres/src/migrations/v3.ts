/**
 * Schema version 3: holds on budget of model calls in flight. Never edit it once released; add
 * `v4.ts` instead. Every statement is idempotent (`IF NOT EXISTS`).
 *
 * - `llm_reservations`: one row per call in flight (see `UsageLedger.reserve`), in the scope
 *   columns of `llm_calls`, until settled, released or `expires_ms`; `cost_usd` is exact like the
 *   calls'.
 */
export const v3 = `
CREATE TABLE IF NOT EXISTS llm_reservations (
  id text PRIMARY KEY,
  run_uid text NOT NULL,
  namespace text NOT NULL,
  user_id text NOT NULL,
  agent text,
  time_ms bigint NOT NULL,
  cost_usd numeric NOT NULL,
  tokens bigint NOT NULL,
  expires_ms bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS llm_reservations_by_expiry ON llm_reservations (expires_ms);
`;
