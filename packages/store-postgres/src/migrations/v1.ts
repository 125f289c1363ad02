/**
 * Schema version 1: the logs a cluster's server replicas share. Never edit it once released;
 * add `v2.ts` instead. Every statement is idempotent (`IF NOT EXISTS`), so a migration that
 * stopped half-way runs again cleanly.
 *
 * - `log_heads`: the last `seq` handed out per log (`events`, `audit_log`). A write takes the
 *   next one with `UPDATE … RETURNING`, holding that row's lock until it commits, so `seq`s
 *   commit in order and without gaps: a follower reading `seq > n` never skips a row that
 *   commits later with a smaller `seq`.
 * - `events`: one row per resource event; `namespace` is '' for cluster-scoped kinds.
 * - `run_logs`: per run, the last `seq` of its transcript (taken the same way, per run) and
 *   where the pump feeding it has read its source up to. `run_events`: the transcript.
 * - `llm_calls`: one row per model call; the scopes budgets total by, the time and the amounts
 *   are columns (`cost_usd` exact decimal, so sums are too).
 * - `audit_log`: one row per audit record; the filterable fields are columns.
 * Whole documents are kept as `json` text (not jsonb: text keeps any JSON string unchanged).
 */
export const v1 = `
CREATE TABLE IF NOT EXISTS log_heads (
  name text PRIMARY KEY,
  last_seq bigint NOT NULL CHECK (last_seq >= 0)
);
INSERT INTO log_heads (name, last_seq) VALUES ('events', 0), ('audit_log', 0)
  ON CONFLICT (name) DO NOTHING;

CREATE TABLE IF NOT EXISTS events (
  seq bigint PRIMARY KEY,
  kind text NOT NULL,
  namespace text NOT NULL,
  name text NOT NULL,
  uid text,
  time_ms bigint NOT NULL,
  json text NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_object ON events (kind, namespace, name, seq);
CREATE INDEX IF NOT EXISTS events_by_time ON events (time_ms);

CREATE TABLE IF NOT EXISTS run_logs (
  run_uid text PRIMARY KEY,
  last_seq bigint NOT NULL CHECK (last_seq >= 0),
  source_offset bigint NOT NULL CHECK (source_offset >= 0)
);
CREATE TABLE IF NOT EXISTS run_events (
  run_uid text NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  type text NOT NULL,
  ts text NOT NULL,
  json text NOT NULL,
  PRIMARY KEY (run_uid, seq)
);

CREATE TABLE IF NOT EXISTS llm_calls (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_uid text NOT NULL,
  namespace text NOT NULL,
  user_id text NOT NULL,
  agent text,
  time_ms bigint NOT NULL,
  cost_usd numeric NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  json text NOT NULL
);
CREATE INDEX IF NOT EXISTS llm_calls_by_run ON llm_calls (run_uid);
CREATE INDEX IF NOT EXISTS llm_calls_by_user ON llm_calls (user_id, time_ms);
CREATE INDEX IF NOT EXISTS llm_calls_by_namespace ON llm_calls (namespace, time_ms);
CREATE INDEX IF NOT EXISTS llm_calls_by_agent ON llm_calls (namespace, agent, time_ms);

CREATE TABLE IF NOT EXISTS audit_log (
  seq bigint PRIMARY KEY,
  id text NOT NULL UNIQUE,
  time_ms bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  result text NOT NULL CHECK (result IN ('success', 'failure', 'denied')),
  target_kind text,
  target_namespace text,
  target_name text,
  target_text text,
  json text NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log (time_ms, seq);
CREATE INDEX IF NOT EXISTS audit_log_by_actor ON audit_log (actor, time_ms, seq);
CREATE INDEX IF NOT EXISTS audit_log_by_action ON audit_log (action, time_ms, seq);
`;
