// The E2B journey (issue 18): `Sandbox.create()` → the first output of `commands.run('echo …')`
// through the official `e2b` SDK against the server's `/e2b` surface, beside the same journey
// through @paddock/client (create from `base`, wait until Running, execStream `echo …` until its
// first stdout). Both use one API key on the same real server; the rounds interleave the two
// (alternating which goes first) so noise hits both alike, after one untimed warm-up round of
// each. Every sandbox is deleted, and gone, before the next round. Every round must succeed:
// failures are collected, printed and counted. PADDOCK_BENCH_CPU_PROF=<dir> runs the server under
// --cpu-prof.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type PaddockClient } from '@paddock/client';
import { createLocalRuntime } from '@paddock/runtime-local';
import { Sandbox } from 'e2b';
import { E2B_NAMESPACE } from '../apps/server/src/e2b/e2b-sandboxes.ts';
import type { Failure } from './api-load.ts';
import { startBenchServer } from './server.ts';
import { elapsedMs, fmtMs, progress, ratio, type Summary, summarize } from './stats.ts';

const ROUNDS = Number(process.env.PADDOCK_BENCH_E2B_ROUNDS ?? 30);
const TEMPLATE = 'base';
const API_VERSION = 'paddock.dev/v1alpha1';
const TIMEOUT_MS = 120_000;

/** One journey's spans (ms): create → ready, the command's start → its first stdout, both. */
type Journey = { createMs: number; firstOutputMs: number; totalMs: number };

type Side = { total: Summary; create: Summary; firstOutput: Summary };

export type E2bResults = {
  rounds: number;
  template: string;
  sdk: Side;
  client: Side;
  ratios: { totalP50: number; totalP95: number; createP50: number; firstOutputP50: number };
  failures: Failure[];
};

/** Resolves when `name` no longer exists (its deletion finished), polling the REST API. */
async function gone(client: PaddockClient, name: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    try {
      await client.sandboxes.get(name, { namespace: E2B_NAMESPACE });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'not_found' || code === 'sandbox_not_found') return;
      throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`${name} still exists ${TIMEOUT_MS} ms after delete`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The SDK's journey: `Sandbox.create`, then `commands.run` until its first stdout; killed after. */
async function sdkJourney(
  opts: { apiUrl: string; sandboxUrl: string; apiKey: string },
  client: PaddockClient,
  word: string,
): Promise<Journey> {
  const start = process.hrtime.bigint();
  const sandbox = await Sandbox.create(TEMPLATE, { ...opts, requestTimeoutMs: TIMEOUT_MS });
  try {
    const createMs = elapsedMs(start);
    const runStart = process.hrtime.bigint();
    let firstOutputMs: number | undefined;
    let totalMs: number | undefined;
    const result = await sandbox.commands.run(`echo ${word}`, {
      onStdout: () => {
        if (firstOutputMs !== undefined) return;
        firstOutputMs = elapsedMs(runStart);
        totalMs = elapsedMs(start);
      },
    });
    if (result.exitCode !== 0 || result.stdout !== `${word}\n`) {
      throw new Error(`exit ${result.exitCode}, stdout ${JSON.stringify(result.stdout)}`);
    }
    if (firstOutputMs === undefined || totalMs === undefined) throw new Error('no stdout event');
    return { createMs, firstOutputMs, totalMs };
  } finally {
    await sandbox.kill();
    await gone(client, sandbox.sandboxId);
  }
}

/** The client's journey: create from `base`, wait until Running, execStream until first stdout. */
async function clientJourney(client: PaddockClient, name: string, word: string): Promise<Journey> {
  const start = process.hrtime.bigint();
  await client.sandboxes.create({
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { name },
    spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: TEMPLATE } },
  });
  try {
    const ready = await client.sandboxes.waitFor(
      name,
      (s) => s.status?.phase === 'Running' || s.status?.phase === 'Error',
      { timeoutMs: TIMEOUT_MS },
    );
    if (ready.status?.phase !== 'Running') {
      throw new Error(`${name} ended ${ready.status?.phase}: ${ready.status?.message ?? ''}`);
    }
    const createMs = elapsedMs(start);
    const execStart = process.hrtime.bigint();
    let stdout = '';
    let firstOutputMs: number | undefined;
    let totalMs: number | undefined;
    let exitCode: number | null | undefined;
    for await (const event of client.sandboxes.execStream(name, { command: ['echo', word] })) {
      if (event.type === 'stdout') {
        if (firstOutputMs === undefined) {
          firstOutputMs = elapsedMs(execStart);
          totalMs = elapsedMs(start);
        }
        stdout += event.data;
      } else if (event.type === 'exit') {
        exitCode = event.exitCode;
      } else if (event.type === 'error') {
        throw new Error(`${event.code}: ${event.message}`);
      }
    }
    if (exitCode !== 0 || stdout !== `${word}\n`) {
      throw new Error(`exit ${exitCode}, stdout ${JSON.stringify(stdout)}`);
    }
    if (firstOutputMs === undefined || totalMs === undefined) throw new Error('no stdout event');
    return { createMs, firstOutputMs, totalMs };
  } finally {
    await client.sandboxes.delete(name);
    await gone(client, name);
  }
}

function sideOf(journeys: Journey[]): Side {
  return {
    total: summarize(journeys.map((j) => j.totalMs)),
    create: summarize(journeys.map((j) => j.createMs)),
    firstOutput: summarize(journeys.map((j) => j.firstOutputMs)),
  };
}

/** Runs the E2B case and prints its table; `failures` is empty when every round succeeded. */
export async function runE2bBench(): Promise<E2bResults> {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-e2b-'));
  const home = join(dir, 'home');
  const failures: Failure[] = [];
  const server = await startBenchServer(home, process.env.PADDOCK_BENCH_CPU_PROF).catch(
    (error: unknown) => {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    },
  );
  try {
    // No auth on loopback: the anonymous admin mints the key both paths then use.
    const { key } = await createClient({ baseUrl: server.url }).apiKeys.create({
      name: 'bench-e2b',
    });
    const client = createClient({ baseUrl: server.url, token: key, timeoutMs: TIMEOUT_MS });
    const e2b = `${server.url}/e2b`;
    const opts = { apiUrl: e2b, sandboxUrl: e2b, apiKey: key };
    const sdk: Journey[] = [];
    const paddock: Journey[] = [];
    const round = async (i: number, side: 'sdk' | 'client', into: Journey[] | undefined) => {
      const word = `e2b-${side}-${i}`;
      try {
        const journey =
          side === 'sdk'
            ? await sdkJourney(opts, client, word)
            : await clientJourney(client, `bench-${word}`, word);
        into?.push(journey);
      } catch (error) {
        failures.push({ op: side, target: String(i), error: (error as Error).message });
      }
    };
    progress('warm-up');
    await round(-1, 'sdk', undefined);
    await round(-1, 'client', undefined);
    for (let i = 0; i < ROUNDS; i++) {
      progress(`e2b round ${i + 1}/${ROUNDS}`);
      const order = i % 2 === 0 ? (['sdk', 'client'] as const) : (['client', 'sdk'] as const);
      for (const side of order) await round(i, side, side === 'sdk' ? sdk : paddock);
    }
    progress('');

    const s = sideOf(sdk);
    const c = sideOf(paddock);
    const ratios = {
      totalP50: ratio(s.total.p50, c.total.p50),
      totalP95: ratio(s.total.p95, c.total.p95),
      createP50: ratio(s.create.p50, c.create.p50),
      firstOutputP50: ratio(s.firstOutput.p50, c.firstOutput.p50),
    };
    const row = (label: string, x: Summary) =>
      `${label.padEnd(46)} p50 ${fmtMs(x.p50).padStart(9)}  p95 ${fmtMs(x.p95).padStart(9)}  (n=${x.n})`;
    console.log(`\nE2B SDK vs @paddock/client (${ROUNDS} rounds each, template ${TEMPLATE})`);
    console.log(row('SDK: create → first stdout', s.total));
    console.log(row('  Sandbox.create', s.create));
    console.log(row('  commands.run → first stdout', s.firstOutput));
    console.log(row('client: create → first stdout', c.total));
    console.log(row('  create → Running', c.create));
    console.log(row('  execStream → first stdout', c.firstOutput));
    console.log(
      `SDK / client: p50 ${ratios.totalP50.toFixed(2)}×, p95 ${ratios.totalP95.toFixed(2)}× (goal ≤ 1.2×); ` +
        `create ${ratios.createP50.toFixed(2)}×, first stdout ${ratios.firstOutputP50.toFixed(2)}× (p50)`,
    );
    return { rounds: ROUNDS, template: TEMPLATE, sdk: s, client: c, ratios, failures };
  } finally {
    progress('cleaning up');
    await server.stop();
    // The server leaves sandboxes running on SIGTERM by design: destroy any a delete missed.
    const runtime = createLocalRuntime({ root: join(home, 'sandboxes') });
    for (const ref of await runtime.list()) {
      if (ref.namespace !== 'paddock-warm') {
        failures.push({ op: 'cleanup', target: ref.name, error: 'still running after delete' });
      }
      await runtime.destroy(ref).catch(() => {});
    }
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
    progress('');
    if (failures.length > 0) {
      console.error(`\nE2B: ${failures.length} failed round(s):`);
      for (const f of failures.slice(0, 50)) console.error(`  ${f.op} ${f.target}: ${f.error}`);
      console.error(`server log (tail):\n${server.stderr().split('\n').slice(-30).join('\n')}`);
    }
  }
}
