// The LLM gateway beside its floor, against the scripted LLM server: the same streaming Messages
// call made with @anthropic-ai/sdk straight to the model server (floor) and through the gateway
// (run token checked, budget totals read, the real key injected, the stream relayed and metered,
// the call recorded in the SQLite ledger with an fsync) — sequential latency, then throughput at
// concurrency 10. Reported against, not thresholds.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_PRICE_TABLE } from '@paddock/core';
import { createGateway, createRunTokens } from '@paddock/gateway';
import { openSqliteUsageLedger } from '@paddock/store-sqlite';
import { startScriptedLlm } from '@paddock/testkit';
import { elapsedMs, fmtMs, progress, ratio, type Summary, summarize } from './stats.ts';

const CALLS = Number(process.env.PADDOCK_BENCH_ROUNDS ?? 20) * 10;
const CONCURRENCY = 10;
const KEY = 'sk-bench-upstream-key';
const MODEL = 'claude-sonnet-4-6';

async function call(client: Anthropic): Promise<void> {
  const stream = await client.messages.create({
    model: MODEL,
    max_tokens: 1024,
    stream: true,
    messages: [{ role: 'user', content: 'Say hello.' }],
  });
  for await (const _ of stream) {
    // drain the stream: the caller sees every event
  }
}

async function sequential(client: Anthropic, label: string): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    progress(`${label} ${i + 1}/${CALLS}`);
    const start = process.hrtime.bigint();
    await call(client);
    samples.push(elapsedMs(start));
  }
  return summarize(samples);
}

async function throughput(client: Anthropic): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CALLS) {
        next++;
        await call(client);
      }
    }),
  );
  return (CALLS / elapsedMs(start)) * 1000;
}

export async function runGatewayBench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-gateway-'));
  const llm = await startScriptedLlm({
    requireKey: KEY,
    script: () => ({
      text: 'Hello from the scripted model.',
      usage: { inputTokens: 20, outputTokens: 8 },
    }),
  });
  const ledger = await openSqliteUsageLedger({ path: join(dir, 'paddock.db') });
  const tokens = createRunTokens(randomBytes(32));
  const gateway = createGateway({
    upstreams: { anthropic: { baseUrl: llm.url, apiKey: async () => KEY } },
    prices: DEFAULT_PRICE_TABLE,
    tokens,
    ledger,
    // A run budget: the gateway reads the run's total and serialises its calls, as in a real run.
    limitsFor: async () => ({ runUsd: 1_000_000 }),
  });
  const server = createServer((req, res) => {
    void gateway.handle(req, res, (req.url ?? '/').replace(/^\/gateway\//, ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const direct = new Anthropic({ apiKey: KEY, baseURL: llm.url, maxRetries: 0 });
    const grant = { runUid: 'bench', namespace: 'default', runName: 'bench', user: 'bench' };
    const viaGateway = new Anthropic({
      apiKey: tokens.issue(grant, 3_600_000),
      baseURL: `http://127.0.0.1:${port}/gateway/anthropic`,
      maxRetries: 0,
    });
    await call(direct);
    await call(viaGateway);
    const floor = await sequential(direct, 'gateway bench: direct');
    const gated = await sequential(viaGateway, 'gateway bench: through the gateway');
    const floorRate = await throughput(direct);
    const gatedRate = await throughput(viaGateway);
    progress('');
    const row = (label: string, x: Summary, against?: Summary) =>
      `${label.padEnd(40)} p50 ${fmtMs(x.p50).padStart(9)}  p95 ${fmtMs(x.p95).padStart(9)}${
        against ? `   ${ratio(x.p50, against.p50).toFixed(2)}× floor p50` : ''
      }`;
    console.log(`\nLLM gateway vs a direct SDK call, ${CALLS} streaming calls (scripted LLM)`);
    console.log(row('direct to the model server (floor)', floor));
    console.log(row('through the gateway (metered, recorded)', gated, floor));
    console.log(
      `throughput at concurrency ${CONCURRENCY}: direct ${floorRate.toFixed(1)}/s, gateway ${gatedRate.toFixed(1)}/s (one run: its calls go one at a time) = ${ratio(gatedRate, floorRate).toFixed(2)}× floor`,
    );
    return { floor, gateway: gated, ratio: ratio(gated.p50, floor.p50), floorRate, gatedRate };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await ledger.close();
    await llm.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
