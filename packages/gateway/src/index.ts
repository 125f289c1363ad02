// Public surface of @paddock/gateway: the LLM gateway, run tokens and the memory usage ledger.

export {
  BUDGET_LIMIT_HEADER,
  BudgetLimits,
  type BudgetRefusal,
  estimateCall,
  HOLD_TTL_MS,
  OUTPUT_ESTIMATE_TOKENS,
  reserveBudget,
  startOfUtcDay,
} from './budget.ts';
export { createGateway, type Gateway } from './gateway.ts';
export {
  DEFAULT_MAX_BODY_BYTES,
  type GatewayOptions,
  type UpstreamConfig,
} from './gateway-options.ts';
export { createMemoryLedger, isInScope, type MemoryLedger } from './memory-ledger.ts';
export { Provider } from './provider-errors.ts';
export { CLIENT_CLOSED_STATUS, COST_HEADER } from './relay.ts';
export {
  createRunTokens,
  MIN_SECRET_BYTES,
  RUN_TOKEN_PREFIX,
  type RunTokens,
} from './run-tokens.ts';
