// The LLM gateway beside its floor, against the scripted LLM server: the same streaming Messages
// call made with @anthropic-ai/sdk straight to the model server (floor) and through the gateway
// (run token checked, the budget held in the ledger, the real key injected, the stream relayed
// and metered, the call recorded) — once with the in-memory ledger (the gateway's own work) and
// once with the SQLite ledger of `paddock up` (plus its commits; the WAL sync that makes each
// record durable runs off the call's path): sequential latency (the three interleaved call by
// call), the time added at p50 against the goal of 1 ms, then throughput at concurrency 10; and
// the ledger's budget check (run, user-day and namespace-day caps) on an empty day beside a day
// that already holds many calls (running totals: it should not grow). Reported against, not
// thresholds.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_PRICE_TABLE, type UsageCap, type UsageLedger } from '@paddock/core';
import { createGateway, createMemoryLedger, createRunTokens } from '@paddock/gateway';
import { openSqliteUsageLedger } from '@paddock/store-sqlite';
import { startScriptedLlm } from '@paddock/testkit';
import { elapsedMs, fmtMs, progress, ratio, type Summary, summarize } from './stats.ts';

const CALLS = Number(process.env.PADDOCK_BENCH_ROUNDS ?? 20) * 10;
const CONCURRENCY = 10;
const KEY = 'sk-bench-upstream-key';
const MODEL = 'claude-sonnet-4-6';
/** The goal for what the gateway adds to a call at p50, in ms. */
const GOAL_ADDED_MS = 1;
/** Calls already in the day when the budget check is measured on a busy day. */
const BUSY_DAY_CALLS = 20_000;

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

type Sampled = Summary & { cpuMsPerCall: number };

/**
 * Sequential calls, interleaved: one call of each client per round, so a machine busy with
 * other work slows every client alike. Returns each client's latencies and CPU time per call
 * (client, gateway and model server share this process; CPU time is inflated far less than wall
 * time by a busy machine), and per client after the first, the p50 of its paired differences
 * from the first's call of the same round.
 */
async function interleaved(
  clients: readonly Anthropic[],
): Promise<{ summaries: Sampled[]; pairedP50: number[] }> {
  const samples = clients.map(() => [] as number[]);
  const cpuUs = clients.map(() => 0);
  for (let i = 0; i < CALLS; i++) {
    progress(`gateway bench: round ${i + 1}/${CALLS}`);
    for (const [c, client] of clients.entries()) {
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      await call(client);
      samples[c]?.push(elapsedMs(start));
      const used = process.cpuUsage(cpu);
      cpuUs[c] = (cpuUs[c] ?? 0) + used.user + used.system;
    }
  }
  const first = samples[0] ?? [];
  return {
    summaries: samples.map((s, c) => ({
      ...summarize(s),
      cpuMsPerCall: (cpuUs[c] ?? 0) / 1000 / CALLS,
    })),
    pairedP50: samples.slice(1).map((s) => summarize(s.map((ms, i) => ms - (first[i] ?? 0))).p50),
  };
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

async function startGateway(
  llmUrl: string,
  ledger: UsageLedger,
  tokens: ReturnType<typeof createRunTokens>,
): Promise<{ url: string; close(): Promise<void> }> {
  const gateway = createGateway({
    upstreams: { anthropic: { baseUrl: llmUrl, apiKey: async () => KEY } },
    prices: DEFAULT_PRICE_TABLE,
    tokens,
    ledger,
    // A run budget: the gateway holds the call's estimate and serialises the run's calls, as in
    // a real run.
    limitsFor: async () => ({ runUsd: 1_000_000 }),
  });
  const server = createServer((req, res) => {
    void gateway.handle(req, res, (req.url ?? '/').replace(/^\/gateway\//, ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/gateway/anthropic`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The p50 of the ledger's budget check (`reserve` under a run, a user-day and a namespace-day cap,
 * each hold released) on a fresh SQLite ledger after `priorCalls` calls of the same user and
 * namespace today, in microseconds.
 */
async function budgetCheckUs(dir: string, priorCalls: number): Promise<number> {
  const ledger = await openSqliteUsageLedger({ path: join(dir, `check-${priorCalls}.db`) });
  try {
    const grant = { namespace: 'default', runName: 'bench', user: 'bench' };
    const at = new Date().toISOString();
    for (let i = 0; i < priorCalls; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, priorCalls - i) }, (_, j) =>
        ledger.record({
          ...grant,
          runUid: `earlier-${i + j}`,
          at,
          provider: 'anthropic',
          model: MODEL,
          status: 200,
          isStream: true,
          inputTokens: 20,
          outputTokens: 8,
          costUsd: 0.0002,
          latencyMs: 1,
        }),
      );
      await Promise.all(batch);
    }
    const since = new Date(`${at.slice(0, 10)}T00:00:00Z`);
    const caps: UsageCap[] = [
      { scope: { runUid: 'bench' }, metric: 'costUsd', max: 1e9 },
      { scope: { user: 'bench', since }, metric: 'costUsd', max: 1e9 },
      { scope: { namespace: 'default', since }, metric: 'costUsd', max: 1e9 },
    ];
    const samples: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const now = new Date();
      const hold = {
        ...grant,
        runUid: 'bench',
        id: `hold-${i}`,
        at: now.toISOString(),
        costUsd: 0.01,
        tokens: 5000,
        expiresAt: new Date(now.getTime() + 60_000).toISOString(),
      };
      const start = process.hrtime.bigint();
      await ledger.reserve(hold, caps);
      samples.push(elapsedMs(start) * 1000);
      await ledger.release(hold.id);
    }
    return summarize(samples).p50;
  } finally {
    await ledger.close();
  }
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
  const inMemory = await startGateway(llm.url, createMemoryLedger(), tokens);
  const durable = await startGateway(llm.url, ledger, tokens);
  try {
    const direct = new Anthropic({ apiKey: KEY, baseURL: llm.url, maxRetries: 0 });
    const grant = { runUid: 'bench', namespace: 'default', runName: 'bench', user: 'bench' };
    const token = tokens.issue(grant, 3_600_000);
    const viaMemory = new Anthropic({ apiKey: token, baseURL: inMemory.url, maxRetries: 0 });
    const viaSqlite = new Anthropic({ apiKey: token, baseURL: durable.url, maxRetries: 0 });
    await call(direct);
    await call(viaMemory);
    await call(viaSqlite);
    const { summaries, pairedP50 } = await interleaved([direct, viaMemory, viaSqlite]);
    const [floor, memory, gated] = summaries as [Sampled, Sampled, Sampled];
    const [pairedMemory = Number.NaN, pairedSqlite = Number.NaN] = pairedP50;
    const floorRate = await throughput(direct);
    const gatedRate = await throughput(viaSqlite);
    progress('gateway bench: budget checks');
    const checkEmptyUs = await budgetCheckUs(dir, 0);
    const checkBusyUs = await budgetCheckUs(dir, BUSY_DAY_CALLS);
    progress('');
    const row = (label: string, x: Summary, against?: Summary) =>
      `${label.padEnd(44)} p50 ${fmtMs(x.p50).padStart(9)}  p95 ${fmtMs(x.p95).padStart(9)}${
        against
          ? `   ${ratio(x.p50, against.p50).toFixed(2)}× floor p50, +${fmtMs(x.p50 - against.p50)}`
          : ''
      }`;
    const addedMemory = memory.p50 - floor.p50;
    const addedSqlite = gated.p50 - floor.p50;
    console.log(`\nLLM gateway vs a direct SDK call, ${CALLS} streaming calls (scripted LLM)`);
    console.log(row('direct to the model server (floor)', floor));
    console.log(row('gateway, memory ledger (its own work)', memory, floor));
    console.log(row('gateway, sqlite ledger (+ durable record)', gated, floor));
    console.log(
      `added per call at p50: ${fmtMs(addedMemory)} (memory ledger), ${fmtMs(addedSqlite)} (sqlite ledger); p50 of the same round's differences: ${fmtMs(pairedMemory)}, ${fmtMs(pairedSqlite)}; goal ≤ ${fmtMs(GOAL_ADDED_MS)}`,
    );
    const cpuMemory = memory.cpuMsPerCall - floor.cpuMsPerCall;
    const cpuSqlite = gated.cpuMsPerCall - floor.cpuMsPerCall;
    console.log(
      `CPU time added per call: ${fmtMs(cpuMemory)} (memory ledger), ${fmtMs(cpuSqlite)} (sqlite ledger), beside ${fmtMs(floor.cpuMsPerCall)} for a direct call`,
    );
    console.log(
      `throughput at concurrency ${CONCURRENCY}: direct ${floorRate.toFixed(1)}/s, gateway ${gatedRate.toFixed(1)}/s (one run: its calls go one at a time) = ${ratio(gatedRate, floorRate).toFixed(2)}× floor`,
    );
    console.log(
      `budget check (run, user-day and namespace-day caps, sqlite): p50 ${checkEmptyUs.toFixed(0)} µs on an empty day, ${checkBusyUs.toFixed(0)} µs with ${BUSY_DAY_CALLS} calls already in the day = ${ratio(checkBusyUs, checkEmptyUs).toFixed(2)}×`,
    );
    return {
      floor,
      gatewayMemoryLedger: memory,
      gateway: gated,
      ratio: ratio(gated.p50, floor.p50),
      addedMsP50: { memoryLedger: addedMemory, sqliteLedger: addedSqlite, goal: GOAL_ADDED_MS },
      pairedAddedMsP50: { memoryLedger: pairedMemory, sqliteLedger: pairedSqlite },
      addedCpuMsPerCall: {
        memoryLedger: memory.cpuMsPerCall - floor.cpuMsPerCall,
        sqliteLedger: gated.cpuMsPerCall - floor.cpuMsPerCall,
      },
      floorRate,
      gatedRate,
      budgetCheckUsP50: {
        emptyDay: checkEmptyUs,
        busyDay: checkBusyUs,
        busyDayCalls: BUSY_DAY_CALLS,
      },
    };
  } finally {
    await inMemory.close();
    await durable.close();
    await ledger.close();
    await llm.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
