// Density (issue 15): N idle sandboxes created through the real server (default 500,
// PADDOCK_BENCH_IDLE_API), beside N bare bwrap sandboxes (`sleep infinity`):
// - PSS per sandbox (each sandbox's process tree, bench/memory.ts) vs the floor's;
// - the server's RSS growth per sandbox between 5 and N sandboxes (goal < 1 MiB);
// - get of one sandbox, a page of 5 and the whole list, at 5 sandboxes and at N (goal for get
//   and a page: ≤ 1.5× at N what they take at 5; the whole list grows with N by nature, so its
//   cost per item is reported).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type PaddockClient } from '@paddock/client';
import { createLocalRuntime } from '@paddock/runtime-local';
import type { Failure } from './api-load.ts';
import { startIdleFloor } from './floor.ts';
import { treePssBytes } from './memory.ts';
import { startBenchServer } from './server.ts';
import { elapsedMs, fmtBytes, fmtMs, progress, ratio, type Summary, summarize } from './stats.ts';

const IDLE = Number(process.env.PADDOCK_BENCH_IDLE_API ?? 500);
const BASE = 5;
const CONCURRENCY = Number(process.env.PADDOCK_BENCH_IDLE_API_CONCURRENCY ?? 20);
const READS = Number(process.env.PADDOCK_BENCH_READS ?? 50);

type Reads = { get: Summary; page: Summary; list: Summary };

export type DensityResults = {
  sandboxes: number;
  perSandboxPssBytes: number;
  floorPerSandboxPssBytes: number;
  overheadPssBytes: number;
  controlPlaneRssPerSandboxBytes: number;
  readsAt5: Reads;
  readsAtN: Reads;
  ratios: { get: number; page: number; list: number; listPerItemMs: number };
  failures: Failure[];
};

function rssBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

async function timeReads(client: PaddockClient, name: string): Promise<Reads> {
  const time = async (op: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < READS; i++) {
      const start = process.hrtime.bigint();
      await op();
      samples.push(elapsedMs(start));
    }
    return summarize(samples);
  };
  return {
    get: await time(() => client.sandboxes.get(name)),
    page: await time(() => client.sandboxes.list({ limit: BASE })),
    list: await time(() => client.sandboxes.list()),
  };
}

async function createMany(client: PaddockClient, names: string[], failures: Failure[]) {
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < names.length; i = next++) {
        const name = names[i] as string;
        try {
          await client.sandboxes.create({
            apiVersion: 'paddock.dev/v1alpha1',
            kind: 'Sandbox',
            metadata: { name },
            spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
          });
          const s = await client.sandboxes.waitFor(
            name,
            (x) => x.status?.phase === 'Running' || x.status?.phase === 'Error',
            { timeoutMs: 120_000 },
          );
          if (s.status?.phase !== 'Running') throw new Error(`ended ${s.status?.phase}`);
        } catch (error) {
          failures.push({ op: 'idle create', target: name, error: (error as Error).message });
        }
        progress(`idle sandboxes ${++done}/${names.length}`);
      }
    }),
  );
}

/** Runs the density case and prints its table. */
export async function runDensityBench(): Promise<DensityResults> {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-density-'));
  const home = join(dir, 'home');
  const failures: Failure[] = [];
  const server = await startBenchServer(home);
  const client = createClient({ baseUrl: server.url, timeoutMs: 120_000 });
  const names = Array.from({ length: IDLE }, (_, i) => `idle-${String(i).padStart(4, '0')}`);
  try {
    await createMany(client, names.slice(0, BASE), failures);
    await timeReads(client, names[0] as string); // warm-up: JIT, connections
    const readsAt5 = await timeReads(client, names[0] as string);
    await new Promise((r) => setTimeout(r, 500));
    const rssAt5 = rssBytes(server.pid);

    await createMany(client, names.slice(BASE), failures);
    await new Promise((r) => setTimeout(r, 1000));
    const rssAtN = rssBytes(server.pid);
    const readsAtN = await timeReads(client, names[0] as string);

    const root = join(home, 'sandboxes');
    const runtime = createLocalRuntime({ root });
    const refs = (await runtime.list()).filter((r) => r.namespace === 'default');
    await runtime.close();
    const pss = refs.map((ref) => {
      const state = JSON.parse(
        readFileSync(join(root, ref.namespace, ref.name, 'state.json'), 'utf8'),
      ) as { incarnation?: { monitor?: { pid?: number } } };
      return treePssBytes(state.incarnation?.monitor?.pid ?? 0);
    });
    progress(`floor: ${refs.length} bare bwrap sandboxes`);
    const bare = startIdleFloor(refs.length);
    await new Promise((r) => setTimeout(r, 1000));
    const floorPss = bare.pids.map((pid) => treePssBytes(pid));
    bare.stop();
    progress('');

    const mean = (xs: number[]) =>
      xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
    const perSandbox = mean(pss);
    const perFloor = mean(floorPss);
    const rssPerSandbox = (rssAtN - rssAt5) / Math.max(1, IDLE - BASE);
    const ratios = {
      get: ratio(readsAtN.get.p50, readsAt5.get.p50),
      page: ratio(readsAtN.page.p50, readsAt5.page.p50),
      list: ratio(readsAtN.list.p50, readsAt5.list.p50),
      listPerItemMs: (readsAtN.list.p50 - readsAt5.list.p50) / Math.max(1, IDLE - BASE),
    };
    console.log(`\nPaddock density: ${refs.length} idle sandboxes through the server`);
    console.log(
      `PSS per sandbox ${fmtBytes(perSandbox)} vs floor ${fmtBytes(perFloor)} → overhead ${fmtBytes(perSandbox - perFloor)}`,
    );
    console.log(
      `control plane RSS ${fmtBytes(rssAt5)} at ${BASE} → ${fmtBytes(rssAtN)} at ${IDLE}: +${fmtBytes(rssPerSandbox)} per sandbox (goal < 1 MiB)`,
    );
    const line = (label: string, a: Summary, b: Summary, r: number, goal: string) =>
      console.log(
        `${label.padEnd(22)} p50 ${fmtMs(a.p50).padStart(9)} at ${BASE}, ${fmtMs(b.p50).padStart(9)} at ${IDLE} → ${r.toFixed(2)}×${goal}`,
      );
    line('get one', readsAt5.get, readsAtN.get, ratios.get, ' (goal ≤ 1.5×)');
    line(`list a page of ${BASE}`, readsAt5.page, readsAtN.page, ratios.page, ' (goal ≤ 1.5×)');
    line(
      'list all',
      readsAt5.list,
      readsAtN.list,
      ratios.list,
      ` (${(ratios.listPerItemMs * 1000).toFixed(0)} µs per item)`,
    );
    return {
      sandboxes: refs.length,
      perSandboxPssBytes: perSandbox,
      floorPerSandboxPssBytes: perFloor,
      overheadPssBytes: perSandbox - perFloor,
      controlPlaneRssPerSandboxBytes: rssPerSandbox,
      readsAt5,
      readsAtN,
      ratios,
      failures,
    };
  } finally {
    progress('cleaning up');
    await Promise.all(names.map((n) => client.sandboxes.delete(n).catch(() => {})));
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const left = (await client.sandboxes.list({ limit: 1 }).catch(() => ({ items: [] }))).items;
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await server.stop();
    const runtime = createLocalRuntime({ root: join(home, 'sandboxes') });
    for (const ref of await runtime.list()) {
      failures.push({ op: 'cleanup', target: ref.name, error: 'still running after delete' });
      await runtime.destroy(ref).catch(() => {});
    }
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
    progress('');
    if (failures.length > 0) {
      console.error(`\ndensity: ${failures.length} failure(s):`);
      for (const f of failures.slice(0, 30)) console.error(`  ${f.op} ${f.target}: ${f.error}`);
      console.error(`server log (tail):\n${server.stderr().split('\n').slice(-20).join('\n')}`);
    }
  }
}
