// The API load case (issue 4, issue 15): the real server as a child process, driven through
// @paddock/client, each measurement beside its floor taken in the same run:
// - cold creates (create → Running, `shell`) at each concurrency vs bare bwrap sandboxes spawned
//   to readiness at the same concurrency (bench/floor.ts floorSpawnRate);
// - warm-pool claims (create → Running from a pool filled beforehand; the pool refills behind
//   the claims, on the same cores, as it would in service);
// - create → Running one at a time over HTTP vs the same through store + controller + runtime
//   in process (no HTTP, no auth, no client);
// - concurrent execs vs the same execs through the local runtime in process.
// Every request must succeed and every sandbox must be Running and listed: failures are
// collected, printed and counted. PADDOCK_BENCH_CPU_PROF=<dir> runs the server under --cpu-prof.
// Each cold round, its floor and the claims also say where their CPU went per operation (server,
// client, rest of the host: cpu-meter.ts): on a 2-core host the rate is what the CPU allows.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type PaddockClient } from '@paddock/client';
import {
  MemoryEventRecorder,
  runToCompletion,
  startSandboxController,
  withSandboxFinalizer,
} from '@paddock/control';
import {
  type ResourceStore,
  RuntimeState,
  resolveTemplate,
  type Sandbox,
  type SandboxRef,
} from '@paddock/core';
import { createLocalRuntime } from '@paddock/runtime-local';
import { openSqliteStore } from '@paddock/store-sqlite';
import { BUILTIN_TEMPLATES } from '../apps/server/src/builtin-templates.ts';
import { type CpuSplit, formatCpuSplit, startCpuMeter } from './cpu-meter.ts';
import { floorSpawnRate } from './floor.ts';
import { startBenchServer } from './server.ts';
import { elapsedMs, fmtMs, progress, ratio, type Summary, summarize } from './stats.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CREATES = env('PADDOCK_BENCH_API_CREATES', 200);
const CREATE_CONCURRENCIES = (process.env.PADDOCK_BENCH_API_CREATE_CONCURRENCY ?? '10,50')
  .split(',')
  .map(Number);
const CLAIMS = env('PADDOCK_BENCH_API_CLAIMS', 200);
const CLAIM_CONCURRENCY = env('PADDOCK_BENCH_API_CLAIM_CONCURRENCY', 10);
const LATENCY_ROUNDS = env('PADDOCK_BENCH_API_LATENCY_ROUNDS', 20);
const EXECS = env('PADDOCK_BENCH_API_EXECS', 200);
const EXEC_CONCURRENCY = env('PADDOCK_BENCH_API_EXEC_CONCURRENCY', 20);
const EXEC_SANDBOXES = env('PADDOCK_BENCH_API_EXEC_SANDBOXES', 4);
const API_VERSION = 'paddock.dev/v1alpha1';
// A template's warm pool holds at most 100: the claims share as many templates as they need.
const WARM_POOL_MAX = 100;
const WARM_TEMPLATES = Array.from(
  { length: Math.ceil(CLAIMS / WARM_POOL_MAX) },
  (_, i) => `bench-warm-${i}`,
);
const WARM_POOL_SIZE = Math.ceil(CLAIMS / WARM_TEMPLATES.length);

export type Failure = { op: string; target: string; error: string };

type Phase = { latency: Summary; opsPerSec: number; wallMs: number };

/** Runs `op(0..count-1)` with at most `concurrency` in flight; returns each op's latency (ms). */
async function runPool(
  count: number,
  concurrency: number,
  label: string,
  op: (i: number) => Promise<void>,
  failures: Failure[],
): Promise<Phase> {
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  const start = process.hrtime.bigint();
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const opStart = process.hrtime.bigint();
      try {
        await op(i);
        latencies.push(elapsedMs(opStart));
      } catch (error) {
        failures.push({ op: label, target: String(i), error: (error as Error).message });
      }
      progress(`${label} ${++done}/${count}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const wallMs = elapsedMs(start);
  return { latency: summarize(latencies), opsPerSec: (latencies.length / wallMs) * 1000, wallMs };
}

/** Every sandbox the server lists in `default`, following continue tokens. */
async function listAll(client: PaddockClient): Promise<Map<string, string | undefined>> {
  const phases = new Map<string, string | undefined>();
  let token: string | undefined;
  do {
    const page = await client.sandboxes.list({
      limit: 50,
      ...(token === undefined ? {} : { continue: token }),
    });
    for (const s of page.items) phases.set(s.metadata.name ?? '', s.status?.phase);
    token = page.metadata.continue;
  } while (token !== undefined);
  return phases;
}

/** Deletes every sandbox and waits until the server has removed them (their processes too). */
async function deleteAll(client: PaddockClient, names: string[], failures: Failure[]) {
  await Promise.all(
    names.map((name) =>
      client.sandboxes.delete(name).catch((error: unknown) => {
        if ((error as { code?: string }).code !== 'sandbox_not_found') {
          failures.push({ op: 'delete', target: name, error: (error as Error).message });
        }
      }),
    ),
  );
  const deadline = Date.now() + 60_000;
  while ((await listAll(client)).size > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The floor: the same execs through the local runtime, in process, on sandboxes of its own. */
async function runtimeFloor(dir: string, failures: Failure[]): Promise<Phase> {
  const runtime = createLocalRuntime({ root: join(dir, 'floor-sandboxes') });
  const refs: SandboxRef[] = Array.from({ length: EXEC_SANDBOXES }, (_, i) => ({
    namespace: 'floor',
    name: `floor-${i}`,
    uid: `floor-${i}`,
  }));
  try {
    for (const ref of refs) await runtime.provision({ ...ref, spec: {} });
    return await runPool(
      EXECS,
      EXEC_CONCURRENCY,
      'runtime exec (floor)',
      async (i) => {
        const ref = refs[i % refs.length] as SandboxRef;
        const result = await runToCompletion(runtime, ref, { command: ['echo', `x${i}`] });
        if (result.exitCode !== 0 || result.stdout !== `x${i}\n`) {
          throw new Error(`exit ${result.exitCode}, stdout ${JSON.stringify(result.stdout)}`);
        }
      },
      failures,
    );
  } finally {
    for (const ref of await runtime.list()) await runtime.destroy(ref).catch(() => {});
  }
}

/**
 * The sandbox start alone: `count` starts of the `shell` template's environment through a local
 * runtime in this process (no HTTP, store or controller), at most `concurrency` at a time; all
 * destroyed after. Between the floor and the API: what Paddock's sandbox costs over bare bwrap.
 */
async function runtimeStartRate(
  dir: string,
  count: number,
  concurrency: number,
  serverPid: number,
  failures: Failure[],
): Promise<{ phase: Phase; cpu: CpuSplit | undefined }> {
  const runtime = createLocalRuntime({ root: join(dir, `runtime-${concurrency}`) });
  const spec = resolveTemplate(
    { kind: 'ClusterSandboxTemplate', name: 'shell' },
    {
      lookup: (kind, _namespace, name) =>
        BUILTIN_TEMPLATES.find((t) => t.kind === kind && t.metadata.name === name),
      namespace: 'default',
      referrer: 'the bench',
    },
  ).spec;
  try {
    // One start first: the launcher and the system view are made once, as a running server has them.
    await runtime.provision({ namespace: 'bench', name: 'first', uid: 'first', spec });
    const meter = startCpuMeter(serverPid);
    const phase = await runPool(
      count,
      concurrency,
      `runtime start (c=${concurrency})`,
      async (i) => {
        const name = `start-${i}`;
        const observed = await runtime.provision({ namespace: 'bench', name, uid: name, spec });
        if (observed.state !== RuntimeState.Running)
          throw new Error(`${name} is ${observed.state}`);
      },
      failures,
    );
    return { phase, cpu: meter.stop(count) };
  } finally {
    for (const ref of await runtime.list()) await runtime.destroy(ref).catch(() => {});
    await runtime.close();
  }
}

/** Creates a sandbox from `template` and waits for Running; anything else throws. */
async function createRunning(
  client: PaddockClient,
  name: string,
  templateRef: { kind: 'ClusterSandboxTemplate' | 'SandboxTemplate'; name: string },
): Promise<Sandbox> {
  const created = await client.sandboxes.create({
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { name },
    spec: { templateRef },
  });
  // From the create's answer: concurrent waits share one watch and need not read it again.
  const done = await client.sandboxes.waitFor(
    name,
    (s) => s.status?.phase === 'Running' || s.status?.phase === 'Error',
    { timeoutMs: 120_000, from: created },
  );
  if (done.status?.phase !== 'Running') {
    throw new Error(`${name} ended ${done.status?.phase}: ${done.status?.message ?? ''}`);
  }
  return done;
}

/** Ready warm-pool entries of the SandboxTemplate `template` (metrics label kind/namespace/name). */
async function warmReady(url: string, template: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('paddock_warm_pool_ready{') && l.includes(`/${template}"`));
  return Number(line?.split(' ').at(-1) ?? 0);
}

const SHELL = BUILTIN_TEMPLATES.find((t) => t.metadata.name === 'shell');

/**
 * The in-process path: create → Running through store + controller + runtime in this process,
 * one at a time, with the server's `shell` template; the same rounds as over HTTP.
 */
async function inProcessCreateToRunning(dir: string, failures: Failure[]): Promise<Summary> {
  const root = join(dir, 'in-process');
  mkdirSync(root, { recursive: true });
  const store = await openSqliteStore({ path: join(root, 'paddock.db') });
  const runtime = createLocalRuntime({ root: join(root, 'sandboxes') });
  const controller = await startSandboxController({
    store,
    runtime,
    events: new MemoryEventRecorder(),
  });
  const samples: number[] = [];
  try {
    if (SHELL) await store.create(SHELL);
    for (let i = 0; i < LATENCY_ROUNDS; i++) {
      progress(`in-process create → Running ${i + 1}/${LATENCY_ROUNDS}`);
      const name = `inproc-${i}`;
      const start = process.hrtime.bigint();
      try {
        // With the controller's finalizer, as the server's create sets it: the same commits.
        const manifest: Sandbox = withSandboxFinalizer({
          apiVersion: API_VERSION,
          kind: 'Sandbox',
          metadata: { name, namespace: 'default' },
          spec: {
            templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
            desiredState: 'Running',
          },
        });
        const created = await store.create(manifest);
        await untilRunning(store, name, created.metadata.resourceVersion ?? '0');
        samples.push(elapsedMs(start));
      } catch (error) {
        failures.push({ op: 'in-process create', target: name, error: (error as Error).message });
      }
    }
    return summarize(samples);
  } finally {
    await controller.stop();
    for (const ref of await runtime.list()) await runtime.destroy(ref).catch(() => {});
    await runtime.close();
    await store.close();
  }
}

async function untilRunning(store: ResourceStore, name: string, from: string): Promise<void> {
  for await (const event of store.watch('Sandbox', {
    namespace: 'default',
    resourceVersion: from,
  })) {
    const phase = event.object.status?.phase;
    if (event.object.metadata.name !== name) continue;
    if (phase === 'Running') return;
    if (phase === 'Error') throw new Error(`${name}: ${event.object.status?.message}`);
  }
  throw new Error('watch ended');
}

type ColdRound = {
  concurrency: number;
  /** Bare bwrap sandboxes spawned to readiness per second at this concurrency. */
  floorPerSec: number;
  floorLatency: Summary;
  createToRunning: Phase;
  /** API creates/s over the floor's spawns/s (goal ≥ 0.8). */
  vsFloor: number;
  /** CPU per spawn of the floor and per create (undefined where /proc cannot say). */
  floorCpu: CpuSplit | undefined;
  createCpu: CpuSplit | undefined;
  /** The same sandboxes started through the runtime in process, without the API. */
  runtimeStart: Phase;
  runtimeStartCpu: CpuSplit | undefined;
  /** Runtime starts/s over the floor's spawns/s. */
  runtimeVsFloor: number;
};

export type ApiLoadResults = {
  creates: number;
  cold: ColdRound[];
  claims: number;
  claimConcurrency: number;
  warmPoolSize: number;
  warmClaims: Phase & { fromPool: number; cpu: CpuSplit | undefined };
  latencyRounds: number;
  httpCreateToRunning: Summary;
  inProcessCreateToRunning: Summary;
  execs: number;
  execConcurrency: number;
  execSandboxes: number;
  exec: Phase;
  runtimeExecFloor: Phase;
  ratios: {
    httpVsInProcessP50: number;
    execP50VsFloor: number;
    execThroughputFloorVsApi: number;
  };
  failures: Failure[];
};

/** Runs the API load case and prints its table; `failures` is empty when nothing was lost. */
export async function runApiLoadBench(): Promise<ApiLoadResults> {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-api-'));
  const home = join(dir, 'home');
  const failures: Failure[] = [];
  const server = await startBenchServer(home, process.env.PADDOCK_BENCH_CPU_PROF).catch(
    (error: unknown) => {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    },
  );
  const client = createClient({ baseUrl: server.url, timeoutMs: 120_000 });
  const shell = { kind: 'ClusterSandboxTemplate', name: 'shell' } as const;
  const live = new Set<string>();
  const settle = async () => {
    await deleteAll(client, [...live], failures);
    live.clear();
  };
  try {
    // Cold creates beside the floor at the same concurrency, each round cleaned up before the next.
    const cold: ColdRound[] = [];
    for (const concurrency of CREATE_CONCURRENCIES) {
      progress(`floor: ${CREATES} bare bwrap spawns at concurrency ${concurrency}`);
      const floorMeter = startCpuMeter(server.pid);
      const floor = await floorSpawnRate(CREATES, concurrency);
      const floorCpu = floorMeter.stop(CREATES);
      const runtimeStart = await runtimeStartRate(dir, CREATES, concurrency, server.pid, failures);
      const names = Array.from({ length: CREATES }, (_, i) => `cold-${concurrency}-${i}`);
      for (const name of names) live.add(name);
      const createMeter = startCpuMeter(server.pid);
      const createToRunning = await runPool(
        CREATES,
        concurrency,
        `api create → Running (c=${concurrency})`,
        async (i) => void (await createRunning(client, names[i] as string, shell)),
        failures,
      );
      const createCpu = createMeter.stop(CREATES);
      const listed = await listAll(client);
      for (const name of names) {
        const phase = listed.get(name);
        if (phase !== 'Running') {
          failures.push({
            op: 'list',
            target: name,
            error: `listed as ${phase ?? 'missing (lost)'}`,
          });
        }
      }
      cold.push({
        concurrency,
        floorPerSec: floor.perSec,
        floorLatency: summarize(floor.latenciesMs),
        createToRunning,
        vsFloor: ratio(createToRunning.opsPerSec, floor.perSec),
        floorCpu,
        createCpu,
        runtimeStart: runtimeStart.phase,
        runtimeStartCpu: runtimeStart.cpu,
        runtimeVsFloor: ratio(runtimeStart.phase.opsPerSec, floor.perSec),
      });
      console.log(
        `cold c=${concurrency}: ${createToRunning.opsPerSec.toFixed(1)} creates/s (p50 ${fmtMs(createToRunning.latency.p50)}) vs floor ${floor.perSec.toFixed(1)}/s`,
      );
      progress('deleting');
      const deleteStart = process.hrtime.bigint();
      await settle();
      console.log(`  deleted ${names.length} in ${fmtMs(elapsedMs(deleteStart))}`);
    }

    // Warm-pool claims: pools as big as the claims, filled before the first claim.
    for (const name of WARM_TEMPLATES) {
      await client.resources('SandboxTemplate').create({
        apiVersion: API_VERSION,
        kind: 'SandboxTemplate',
        metadata: { name },
        spec: { inheritsFrom: shell, warmPool: { size: WARM_POOL_SIZE } },
      });
    }
    const fillDeadline = Date.now() + 300_000;
    for (;;) {
      let ready = 0;
      for (const name of WARM_TEMPLATES) ready += await warmReady(server.url, name);
      progress(`filling the warm pools ${ready}/${WARM_POOL_SIZE * WARM_TEMPLATES.length}`);
      if (ready >= WARM_POOL_SIZE * WARM_TEMPLATES.length) break;
      if (Date.now() > fillDeadline) {
        failures.push({ op: 'warm pool', target: 'fill', error: `only ${ready} ready` });
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    let fromPool = 0;
    const claimNames = Array.from({ length: CLAIMS }, (_, i) => `claim-${i}`);
    for (const name of claimNames) live.add(name);
    const claimMeter = startCpuMeter(server.pid);
    const claims = await runPool(
      CLAIMS,
      CLAIM_CONCURRENCY,
      'api warm claim → Running',
      async (i) => {
        const name = claimNames[i] as string;
        const template = WARM_TEMPLATES[i % WARM_TEMPLATES.length] as string;
        const s = await createRunning(client, name, { kind: 'SandboxTemplate', name: template });
        if (s.status?.fromWarmPool === true) fromPool++;
        else throw new Error(`${name} was not served from the warm pool`);
      },
      failures,
    );
    const claimCpu = claimMeter.stop(CLAIMS);
    // Without its template the pool drains instead of refilling while the claims are deleted.
    for (const name of WARM_TEMPLATES) await client.resources('SandboxTemplate').delete(name);
    await settle();

    // One at a time: HTTP vs in process.
    const http: number[] = [];
    for (let i = 0; i < LATENCY_ROUNDS; i++) {
      progress(`http create → Running ${i + 1}/${LATENCY_ROUNDS}`);
      const name = `seq-${i}`;
      live.add(name);
      const start = process.hrtime.bigint();
      try {
        await createRunning(client, name, shell);
        http.push(elapsedMs(start));
      } catch (error) {
        failures.push({ op: 'http create', target: name, error: (error as Error).message });
      }
    }
    await settle();
    const inProcess = await inProcessCreateToRunning(dir, failures);

    // Execs on a few sandboxes, beside the same execs through the runtime in process.
    const targets = Array.from({ length: EXEC_SANDBOXES }, (_, i) => `exec-${i}`);
    for (const name of targets) {
      live.add(name);
      await createRunning(client, name, shell);
    }
    const exec = await runPool(
      EXECS,
      EXEC_CONCURRENCY,
      'api exec',
      async (i) => {
        const name = targets[i % targets.length] as string;
        const result = await client.sandboxes.exec(name, { command: ['echo', `x${i}`] });
        if (result.exitCode !== 0 || result.stdout !== `x${i}\n`) {
          throw new Error(
            `${name}: exit ${result.exitCode}, stdout ${JSON.stringify(result.stdout)}, stderr ${JSON.stringify(result.stderr)}`,
          );
        }
      },
      failures,
    );
    await settle();
    const runtimeExecFloor = await runtimeFloor(dir, failures);
    progress('');

    const httpSummary = summarize(http);
    const row = (label: string, p: Phase) =>
      `${label.padEnd(40)} ${p.opsPerSec.toFixed(1).padStart(7)} ops/s  p50 ${fmtMs(p.latency.p50).padStart(9)}  p95 ${fmtMs(p.latency.p95).padStart(9)}  p99 ${fmtMs(p.latency.p99).padStart(9)}`;
    console.log(`\nPaddock API load (${CREATES} creates per round, ${CLAIMS} claims)`);
    for (const c of cold) {
      console.log(
        `${`floor: bare bwrap → ready (c=${c.concurrency})`.padEnd(40)} ${c.floorPerSec.toFixed(1).padStart(7)} /s     p50 ${fmtMs(c.floorLatency.p50).padStart(9)}`,
      );
      console.log(`  floor ${formatCpuSplit(c.floorCpu)}`);
      console.log(row(`sandbox start alone (runtime, c=${c.concurrency})`, c.runtimeStart));
      // In process: the runtime's CPU is the bench's own (its client column); the server idles.
      console.log(`  start ${formatCpuSplit(c.runtimeStartCpu)}`);
      console.log(
        `  starts/s vs floor: ${c.runtimeVsFloor.toFixed(2)}× (what the API's rate can reach at most)`,
      );
      console.log(row(`create → Running (HTTP, c=${c.concurrency})`, c.createToRunning));
      console.log(`  create ${formatCpuSplit(c.createCpu)}`);
      console.log(`  creates/s vs floor: ${c.vsFloor.toFixed(2)}× (goal ≥ 0.8×)`);
    }
    console.log(
      row(`warm claim → Running (c=${CLAIM_CONCURRENCY})`, claims),
      ` ${fromPool}/${CLAIMS} from the pool (goal ≥ 300/s)`,
    );
    console.log(`  claim ${formatCpuSplit(claimCpu)}`);
    const httpVsInProcessP50 = ratio(httpSummary.p50, inProcess.p50);
    console.log(
      `create → Running one at a time: HTTP p50 ${fmtMs(httpSummary.p50)}, in process p50 ${fmtMs(inProcess.p50)} → ${httpVsInProcessP50.toFixed(2)}× (goal ≤ 1.5×)`,
    );
    console.log(row(`exec echo (HTTP, c=${EXEC_CONCURRENCY})`, exec));
    console.log(row('exec echo (runtime in process, floor)', runtimeExecFloor));
    const ratios = {
      httpVsInProcessP50,
      execP50VsFloor: ratio(exec.latency.p50, runtimeExecFloor.latency.p50),
      execThroughputFloorVsApi: ratio(runtimeExecFloor.opsPerSec, exec.opsPerSec),
    };
    console.log(
      `exec over HTTP vs floor: p50 ${ratios.execP50VsFloor.toFixed(2)}×, ` +
        `throughput ${(1 / ratios.execThroughputFloorVsApi).toFixed(2)}× of the floor's`,
    );
    return {
      creates: CREATES,
      cold,
      claims: CLAIMS,
      claimConcurrency: CLAIM_CONCURRENCY,
      warmPoolSize: WARM_POOL_SIZE * WARM_TEMPLATES.length,
      warmClaims: { ...claims, fromPool, cpu: claimCpu },
      latencyRounds: LATENCY_ROUNDS,
      httpCreateToRunning: httpSummary,
      inProcessCreateToRunning: inProcess,
      execs: EXECS,
      execConcurrency: EXEC_CONCURRENCY,
      execSandboxes: EXEC_SANDBOXES,
      exec,
      runtimeExecFloor,
      ratios,
      failures,
    };
  } finally {
    progress('cleaning up');
    await settle().catch((error: unknown) => {
      failures.push({ op: 'cleanup', target: 'all', error: (error as Error).message });
    });
    await server.stop();
    // The server leaves sandboxes running on SIGTERM by design: destroy any the deletes missed
    // (warm-pool entries included: the server keeps its pool across restarts).
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
      console.error(`\nAPI load: ${failures.length} failed or lost request(s):`);
      for (const f of failures.slice(0, 50)) console.error(`  ${f.op} ${f.target}: ${f.error}`);
      console.error(`server log (tail):\n${server.stderr().split('\n').slice(-30).join('\n')}`);
    }
  }
}
