// The API load case (issue 4): the real server as a child process, driven through
// @paddock/client with concurrent creates and execs; beside it the floor, the same execs through
// the local runtime in process (no HTTP, no store, no auth). Every request must succeed and
// every sandbox must be Running and listed: failures are collected, printed and counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type PaddockClient } from '@paddock/client';
import { runToCompletion } from '@paddock/control';
import type { SandboxRef } from '@paddock/core';
import { createLocalRuntime } from '@paddock/runtime-local';
import { startPaddockProcess } from '@paddock/testkit';
import { elapsedMs, fmtMs, progress, ratio, type Summary, summarize } from './stats.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CREATES = env('PADDOCK_BENCH_API_CREATES', 20);
const CREATE_CONCURRENCY = env('PADDOCK_BENCH_API_CREATE_CONCURRENCY', 10);
const EXECS = env('PADDOCK_BENCH_API_EXECS', 200);
const EXEC_CONCURRENCY = env('PADDOCK_BENCH_API_EXEC_CONCURRENCY', 20);
const EXEC_SANDBOXES = Math.min(CREATES, env('PADDOCK_BENCH_API_EXEC_SANDBOXES', 4));
const API_VERSION = 'paddock.dev/v1alpha1';

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

export type ApiLoadResults = {
  creates: number;
  createConcurrency: number;
  execs: number;
  execConcurrency: number;
  execSandboxes: number;
  createToRunning: Phase;
  exec: Phase;
  runtimeExecFloor: Phase;
  ratios: { execP50VsFloor: number; execThroughputFloorVsApi: number };
  failures: Failure[];
};

/** Runs the API load case and prints its table; `failures` is empty when nothing was lost. */
const SERVER_MAIN = join(import.meta.dirname, '..', 'apps', 'server', 'src', 'main.ts');

export async function runApiLoadBench(): Promise<ApiLoadResults> {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-api-'));
  const home = join(dir, 'home');
  const failures: Failure[] = [];
  // The per-principal rate limit (default 50/s, burst 100) would turn load into 429s.
  const server = await startPaddockProcess([
    SERVER_MAIN,
    '--addr',
    '127.0.0.1:0',
    '--home',
    home,
    '--rate-limit',
    '100000',
    '--rate-burst',
    '100000',
  ]).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const client = createClient({ baseUrl: server.url, timeoutMs: 120_000 });
  const names = Array.from({ length: CREATES }, (_, i) => `load-${i}`);
  try {
    const createToRunning = await runPool(
      CREATES,
      CREATE_CONCURRENCY,
      'api create → Running',
      async (i) => {
        const name = names[i] as string;
        await client.sandboxes.create({
          apiVersion: API_VERSION,
          kind: 'Sandbox',
          metadata: { name },
          spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
        });
        const done = await client.sandboxes.waitFor(
          name,
          (s) => s.status?.phase === 'Running' || s.status?.phase === 'Error',
          { timeoutMs: 120_000 },
        );
        if (done.status?.phase !== 'Running') {
          throw new Error(`${name} ended ${done.status?.phase}: ${done.status?.message ?? ''}`);
        }
      },
      failures,
    );
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

    const targets = names.slice(0, EXEC_SANDBOXES);
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
    const runtimeExecFloor = await runtimeFloor(dir, failures);
    progress('');

    const row = (label: string, p: Phase) =>
      `${label.padEnd(36)} ${p.opsPerSec.toFixed(1).padStart(7)} ops/s  p50 ${fmtMs(p.latency.p50).padStart(9)}  p95 ${fmtMs(p.latency.p95).padStart(9)}  p99 ${fmtMs(p.latency.p99).padStart(9)}`;
    console.log(
      `\nPaddock API load: ${CREATES} creates at concurrency ${CREATE_CONCURRENCY}, ` +
        `${EXECS} execs at concurrency ${EXEC_CONCURRENCY} on ${EXEC_SANDBOXES} sandboxes`,
    );
    console.log(row('create → Running (HTTP, shell)', createToRunning));
    console.log(row('exec echo (HTTP, buffered)', exec));
    console.log(row('exec echo (runtime in process, floor)', runtimeExecFloor));
    const ratios = {
      execP50VsFloor: ratio(exec.latency.p50, runtimeExecFloor.latency.p50),
      execThroughputFloorVsApi: ratio(runtimeExecFloor.opsPerSec, exec.opsPerSec),
    };
    console.log(
      `exec over HTTP vs floor: p50 ${ratios.execP50VsFloor.toFixed(2)}×, ` +
        `throughput ${(1 / ratios.execThroughputFloorVsApi).toFixed(2)}× of the floor's`,
    );
    return {
      creates: CREATES,
      createConcurrency: CREATE_CONCURRENCY,
      execs: EXECS,
      execConcurrency: EXEC_CONCURRENCY,
      execSandboxes: EXEC_SANDBOXES,
      createToRunning,
      exec,
      runtimeExecFloor,
      ratios,
      failures,
    };
  } finally {
    progress('cleaning up');
    await deleteAll(client, names, failures).catch((error: unknown) => {
      failures.push({ op: 'cleanup', target: 'all', error: (error as Error).message });
    });
    await server.stop();
    // The server leaves sandboxes running on SIGTERM by design: destroy any the deletes missed.
    const runtime = createLocalRuntime({ root: join(home, 'sandboxes') });
    for (const ref of await runtime.list()) {
      failures.push({ op: 'cleanup', target: ref.name, error: 'still running after delete' });
      await runtime.destroy(ref).catch(() => {});
    }
    rmSync(dir, { recursive: true, force: true });
    progress('');
    if (failures.length > 0) {
      console.error(`\nAPI load: ${failures.length} failed or lost request(s):`);
      for (const f of failures.slice(0, 50)) console.error(`  ${f.op} ${f.target}: ${f.error}`);
      console.error(`server log (tail):\n${server.stderr().split('\n').slice(-30).join('\n')}`);
    }
  }
}
