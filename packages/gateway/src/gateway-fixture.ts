// Test support (not exported): the gateway on a real node:http listener in front of the scripted
// LLM, recording into a memory ledger. Used by the gateway's *.test.ts files.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import {
  type BudgetLimit,
  DEFAULT_PRICE_TABLE,
  type LlmCallRecord,
  type PriceTable,
  type RunGrant,
} from '@paddock/core';
import { closeServer, listen } from '@paddock/http';
import { type LlmScript, type ScriptedLlm, startScriptedLlm, within } from '@paddock/testkit';
import type { BudgetLimits } from './budget.ts';
import { createGateway, type Gateway } from './gateway.ts';
import type { GatewayOptions } from './gateway-options.ts';
import { createMemoryLedger, type MemoryLedger } from './memory-ledger.ts';
import { createRunTokens, type RunTokens } from './run-tokens.ts';

/** The provider key only the gateway and the upstream know. */
export const REAL_KEY = 'sk-real-upstream-key-0123456789';

export const GRANT: RunGrant = {
  runUid: 'run-uid-1',
  namespace: 'default',
  runName: 'fix-bug',
  user: 'alice',
  agent: 'coder',
};

export type GatewayFixture = {
  /** The gateway's mount: `${url}/anthropic`, `${url}/openai/v1`. */
  url: string;
  gateway: Gateway;
  llm: ScriptedLlm;
  ledger: MemoryLedger;
  tokens: RunTokens;
  /** A run token of `grant` (GRANT by default), valid for an hour. */
  token(grant?: Partial<RunGrant>): string;
  /** Arguments of each `onCall` and `onBudgetExceeded`, in order. */
  calls: LlmCallRecord[];
  exceeded: Array<{ grant: RunGrant; limit: BudgetLimit }>;
  /** Resolves once `onCall` has fired `count` times in all (a 10 s guard against a hang). */
  waitForCalls(count: number): Promise<LlmCallRecord[]>;
  /** Lines the gateway logged. */
  logs: string[];
  close(): Promise<void>;
};

export type FixtureOptions = {
  script?: LlmScript;
  limits?: BudgetLimits | ((grant: RunGrant) => BudgetLimits);
  prices?: PriceTable;
  /** The key the gateway holds; `null` for none configured. */
  apiKey?: string | null;
} & Partial<
  Pick<
    GatewayOptions,
    | 'isActive'
    | 'now'
    | 'maxBodyBytes'
    | 'upstreams'
    | 'upstreamHeadersTimeoutMs'
    | 'upstreamIdleTimeoutMs'
    | 'budgetWaitMs'
  >
>;

export async function startGatewayFixture(options: FixtureOptions = {}): Promise<GatewayFixture> {
  const llm = await startScriptedLlm({ script: options.script ?? [], requireKey: REAL_KEY });
  const ledger = createMemoryLedger();
  const tokens = createRunTokens(randomBytes(32), options.now ? { now: options.now } : {});
  const calls: LlmCallRecord[] = [];
  const exceeded: GatewayFixture['exceeded'] = [];
  const logs: string[] = [];
  const waiters: Array<() => void> = [];
  const apiKey = async () => (options.apiKey === null ? undefined : (options.apiKey ?? REAL_KEY));
  const limits = options.limits ?? {};
  const gateway = createGateway({
    upstreams: options.upstreams ?? {
      anthropic: { baseUrl: llm.url, apiKey },
      openai: { baseUrl: `${llm.url}/v1`, apiKey },
    },
    prices: options.prices ?? DEFAULT_PRICE_TABLE,
    tokens,
    ledger,
    limitsFor: async (grant) => (typeof limits === 'function' ? limits(grant) : limits),
    onCall: (_grant, call) => {
      calls.push(call);
      for (const wake of waiters.splice(0)) wake();
    },
    onBudgetExceeded: (grant, limit) => {
      exceeded.push({ grant, limit });
    },
    log: (line) => logs.push(line),
    ...(options.isActive === undefined ? {} : { isActive: options.isActive }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.upstreamHeadersTimeoutMs === undefined
      ? {}
      : { upstreamHeadersTimeoutMs: options.upstreamHeadersTimeoutMs }),
    ...(options.upstreamIdleTimeoutMs === undefined
      ? {}
      : { upstreamIdleTimeoutMs: options.upstreamIdleTimeoutMs }),
    ...(options.budgetWaitMs === undefined ? {} : { budgetWaitMs: options.budgetWaitMs }),
  });
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (!path.startsWith('/gateway/')) {
      res.writeHead(404).end();
      return;
    }
    void gateway.handle(req, res, path.slice('/gateway/'.length));
  });
  const url = await listen(server, 0, '127.0.0.1');
  return {
    url: `${url}/gateway`,
    gateway,
    llm,
    ledger,
    tokens,
    token: (grant = {}) => tokens.issue({ ...GRANT, ...grant }, 3_600_000),
    calls,
    exceeded,
    logs,
    waitForCalls(count) {
      const reached = new Promise<LlmCallRecord[]>((resolve) => {
        const check = () => (calls.length >= count ? resolve(calls) : waiters.push(check));
        check();
      });
      return within(reached, 10_000, `${count} recorded call(s)`);
    },
    async close() {
      await closeServer(server);
      await llm.close();
    },
  };
}

/** A raw request to the gateway (for what SDKs never send). */
export async function post(
  url: string,
  body: string | object,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}
