import {
  type BudgetLimit,
  type LlmCallRecord,
  PriceTable,
  parseInput,
  type RunGrant,
  type UsageLedger,
} from '@paddock/core';
import { z } from 'zod';
import type { BudgetLimits } from './budget.ts';
import type { Provider } from './provider-errors.ts';
import type { RunTokens } from './run-tokens.ts';

/** The default largest request body: 10 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * The default wait for an upstream's answer to begin (its status and headers): 10 minutes, the
 * request timeout of the Anthropic and OpenAI SDKs. A non-streaming answer begins only once the
 * whole answer is generated, which for a long answer or a reasoning model takes minutes.
 */
export const DEFAULT_UPSTREAM_HEADERS_TIMEOUT_MS = 600_000;

/**
 * The default longest silence of an upstream once its answer began: 5 minutes without a byte.
 * Anthropic streams send `ping` events while the model works; an OpenAI reasoning model may
 * think for minutes before its first chunk.
 */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 300_000;

/**
 * The default price of one web search in USD, per provider: Anthropic's $10 and OpenAI's
 * $25 per 1 000 searches (the web search of non-reasoning models; reasoning models pay $10).
 */
export const DEFAULT_WEB_SEARCH_USD: Readonly<Record<Provider, number>> = {
  anthropic: 0.01,
  openai: 0.025,
};

/**
 * The default wait of a call refused only because calls in flight hold the rest of a budget:
 * 60 seconds for them to end before it is answered 429.
 */
export const DEFAULT_BUDGET_WAIT_MS = 60_000;

/**
 * One provider upstream. `baseUrl` follows each SDK's convention: Anthropic's without `/v1`
 * (the gateway appends `/v1/messages`), an OpenAI-compatible one with it (the gateway appends
 * `/chat/completions`). `apiKey` is asked on every call, so a rotated credential takes effect at
 * once; `undefined` answers 503.
 */
export type UpstreamConfig = { baseUrl: string; apiKey: () => Promise<string | undefined> };

export type GatewayOptions = {
  upstreams: { anthropic?: UpstreamConfig; openai?: UpstreamConfig };
  /** Prices of models; costs and USD budgets are computed from it. */
  prices: PriceTable;
  /** Verifies the run tokens callers present. */
  tokens: RunTokens;
  /** Where every metered call is recorded and budget totals are read. */
  ledger: UsageLedger;
  /** The limits of a run's calls (from its agent's budget and the effective policy). */
  limitsFor: (grant: RunGrant) => Promise<BudgetLimits>;
  /** Whether the run is still going; a finished run's token is refused (401). Default: always. */
  isActive?: (grant: RunGrant) => Promise<boolean>;
  /** After each recorded call (the run controller appends an `llm.call` transcript event). */
  onCall?: (grant: RunGrant, call: LlmCallRecord) => void | Promise<void>;
  /** After a call was refused over `limit` (the run controller ends the run BudgetExceeded). */
  onBudgetExceeded?: (grant: RunGrant, limit: BudgetLimit) => void | Promise<void>;
  /** The clock of `at` and daily budgets. */
  now?: () => Date;
  /** Where failures the caller cannot see (ledger, hooks) are reported. */
  log?: (line: string) => void;
  /** Largest request body accepted (413 past it); 10 MiB by default. */
  maxBodyBytes?: number;
  /**
   * How long to wait for an upstream's answer to begin, connection included (504 past it);
   * {@link DEFAULT_UPSTREAM_HEADERS_TIMEOUT_MS} by default.
   */
  upstreamHeadersTimeoutMs?: number;
  /**
   * How long an upstream's answer may go without a byte once it began (a 504, or an `error`
   * event in a stream, past it); {@link DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS} by default.
   */
  upstreamIdleTimeoutMs?: number;
  /**
   * How long a call waits when a budget still has room but calls in flight hold it (429 past
   * it); {@link DEFAULT_BUDGET_WAIT_MS} by default, 0 to answer 429 at once.
   */
  budgetWaitMs?: number;
  /**
   * The price of one web search (Anthropic `web_search_…`, OpenAI `web_search`) in USD, per
   * provider, added to a call's token cost; {@link DEFAULT_WEB_SEARCH_USD} where absent.
   */
  webSearchUsd?: Partial<Record<Provider, number>>;
};

/** Options after validation, every default filled in. */
export type ResolvedGatewayOptions = Required<
  Omit<GatewayOptions, 'isActive' | 'onCall' | 'onBudgetExceeded' | 'webSearchUsd'>
> &
  Pick<GatewayOptions, 'isActive' | 'onCall' | 'onBudgetExceeded'> & {
    webSearchUsd: Record<Provider, number>;
  };

const BaseUrl = z.url({ protocol: /^https?$/ });

const ValidatedOptions = z.object({
  upstreams: z.object({
    anthropic: z.object({ baseUrl: BaseUrl }).optional(),
    openai: z.object({ baseUrl: BaseUrl }).optional(),
  }),
  prices: PriceTable,
  maxBodyBytes: z.int().positive().optional(),
  upstreamHeadersTimeoutMs: z.int().positive().optional(),
  upstreamIdleTimeoutMs: z.int().positive().optional(),
  budgetWaitMs: z.int().nonnegative().optional(),
  webSearchUsd: z
    .strictObject({
      anthropic: z.number().nonnegative().optional(),
      openai: z.number().nonnegative().optional(),
    })
    .optional(),
});

/** Checks the options once; throws `validation_failed` listing every problem. */
export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  const checked = parseInput(ValidatedOptions, options, 'gateway options');
  return {
    ...options,
    prices: checked.prices,
    now: options.now ?? (() => new Date()),
    log: options.log ?? (() => {}),
    maxBodyBytes: checked.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    upstreamHeadersTimeoutMs:
      checked.upstreamHeadersTimeoutMs ?? DEFAULT_UPSTREAM_HEADERS_TIMEOUT_MS,
    upstreamIdleTimeoutMs: checked.upstreamIdleTimeoutMs ?? DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
    budgetWaitMs: checked.budgetWaitMs ?? DEFAULT_BUDGET_WAIT_MS,
    webSearchUsd: {
      anthropic: checked.webSearchUsd?.anthropic ?? DEFAULT_WEB_SEARCH_USD.anthropic,
      openai: checked.webSearchUsd?.openai ?? DEFAULT_WEB_SEARCH_USD.openai,
    },
  };
}

/** The upstream URL of a route: the base URL without trailing slashes, the path, the query. */
export function upstreamUrl(baseUrl: string, path: string, search: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}${search}`;
}
