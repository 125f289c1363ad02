/**
 * Schema version 4: running totals of the model calls, so a budget check reads a few rows. Never
 * edit it once released; add `v5.ts` instead. Every statement is idempotent (`IF NOT EXISTS`,
 * and the totals are filled only while the table is empty).
 *
 * - `llm_usage_totals`: the sums of `llm_calls` per scope (`run`, `user`, `namespace`, `agent`
 *   keyed `namespace/agent`) and UTC day (`day_ms`, its midnight), updated by the statement that
 *   records each call (see `usage-buckets.ts` in @paddock/core); filled from the calls already
 *   recorded. `cost_usd` is exact like the calls'.
 */
export const v4 = `
CREATE TABLE IF NOT EXISTS llm_usage_totals (
  scope text NOT NULL CHECK (scope IN ('run', 'user', 'namespace', 'agent')),
  key text NOT NULL,
  day_ms bigint NOT NULL,
  cost_usd numeric NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  calls bigint NOT NULL,
  PRIMARY KEY (scope, key, day_ms)
);
WITH calls AS (
  SELECT run_uid, user_id, namespace, agent, cost_usd, input_tokens, output_tokens,
    time_ms - ((time_ms % 86400000) + 86400000) % 86400000 AS day_ms
  FROM llm_calls
  WHERE NOT EXISTS (SELECT 1 FROM llm_usage_totals)
)
INSERT INTO llm_usage_totals
  SELECT 'run', run_uid, day_ms, sum(cost_usd), sum(input_tokens), sum(output_tokens), count(*)
    FROM calls GROUP BY run_uid, day_ms
  UNION ALL
  SELECT 'user', user_id, day_ms, sum(cost_usd), sum(input_tokens), sum(output_tokens), count(*)
    FROM calls GROUP BY user_id, day_ms
  UNION ALL
  SELECT 'namespace', namespace, day_ms, sum(cost_usd), sum(input_tokens), sum(output_tokens),
      count(*)
    FROM calls GROUP BY namespace, day_ms
  UNION ALL
  SELECT 'agent', namespace || '/' || agent, day_ms, sum(cost_usd), sum(input_tokens),
      sum(output_tokens), count(*)
    FROM calls WHERE agent IS NOT NULL GROUP BY namespace, agent, day_ms;
`;
