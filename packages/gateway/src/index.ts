// Public surface of @paddock/gateway: the LLM gateway, run tokens and the memory usage ledger.

export {
  BUDGET_LIMIT_HEADER,
  BudgetLimits,
  type BudgetRefusal,
  estimateCall,
  HOLD_TTL_MS,
  OUTPUT_CEILING_TOKENS,
  OUTPUT_ESTIMATE_TOKENS,
  reserveBudget,
  startOfUtcDay,
  worstCaseCall,
} from './budget.ts';
export { BUDGET_RECHECK_MS, BUDGET_RETRY_AFTER_SECONDS } from './budget-wait.ts';
export { createGateway, type Gateway } from './gateway.ts';
export {
  DEFAULT_BUDGET_WAIT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_UPSTREAM_HEADERS_TIMEOUT_MS,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
  DEFAULT_WEB_SEARCH_USD,
  type GatewayOptions,
  type UpstreamConfig,
} from './gateway-options.ts';
export { createMemoryLedger, isInScope, type MemoryLedger } from './memory-ledger.ts';
export { Provider } from './provider-errors.ts';
export { WEB_SEARCHES_HELD } from './provider-tools.ts';
export { CLIENT_CLOSED_STATUS, COST_HEADER } from './relay.ts';
export {
  createRunTokens,
  MIN_SECRET_BYTES,
  RUN_TOKEN_PREFIX,
  type RunTokens,
} from './run-tokens.ts';
