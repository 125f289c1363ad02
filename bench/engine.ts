// The local engine beside the floor (a bare bwrap call with the same namespaces), in process:
// store + controller + runtime, no HTTP. Goals reported against (not thresholds): cold p50
// within 2× the floor, warm claim p50 ≤ 5 ms, per-sandbox idle overhead < 5 MiB.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryEventRecorder,
  runToCompletion,
  startSandboxController,
  withSandboxFinalizer,
} from '@paddock/control';
import type { ResourceStore, Sandbox, SandboxRef } from '@paddock/core';
import { createLocalRuntime } from '@paddock/runtime-local';
import { openSqliteStore } from '@paddock/store-sqlite';
import { floorFirstOutputMs, startIdleFloor } from './floor.ts';
import { treePssBytes } from './memory.ts';
import { elapsedMs, fmtBytes, fmtMs, progress, ratio, type Summary, summarize } from './stats.ts';

const ROUNDS = Number(process.env.PADDOCK_BENCH_ROUNDS ?? 20);
const IDLE_SANDBOXES = Number(process.env.PADDOCK_BENCH_IDLE ?? 50);
const v = 'paddock.dev/v1alpha1';

async function waitForRunning(
  s: ResourceStore,
  name: string,
  fromVersion: string,
): Promise<Sandbox> {
  for await (const event of s.watch('Sandbox', {
    namespace: 'default',
    resourceVersion: fromVersion,
  })) {
    const obj = event.object;
    if (obj.metadata.name !== name) continue;
    if (obj.status?.phase === 'Running') return obj;
    if (obj.status?.phase === 'Error') throw new Error(`${name}: ${obj.status.message}`);
  }
  throw new Error('watch ended');
}

function refFromStatus(s: Sandbox): SandboxRef {
  const [namespace = '', name = '', uid = ''] = (s.status?.runtime?.id ?? '').split('/');
  return { namespace, name, uid };
}

/** Runs the engine case and prints its table; returns the results for latest.json. */
export async function runEngineBench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-'));
  const root = join(dir, 'sandboxes');
  const store = await openSqliteStore({ path: join(dir, 'paddock.db') });
  const runtime = createLocalRuntime({ root });
  const controller = await startSandboxController({
    store,
    runtime,
    events: new MemoryEventRecorder(),
  });

  async function removeAndWait(name: string, ref: SandboxRef): Promise<void> {
    await store.delete('Sandbox', { namespace: 'default', name });
    for (let i = 0; i < 500; i++) {
      if (!(await runtime.list()).some((r) => r.name === ref.name && r.namespace === ref.namespace))
        return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** create → Running → `echo hi` → first byte of output, through store, controller and runtime. */
  async function createToFirstOutput(template: string, name: string) {
    const start = process.hrtime.bigint();
    // With the controller's finalizer, as the server's create sets it (one commit, not two).
    const manifest: Sandbox = withSandboxFinalizer({
      apiVersion: v,
      kind: 'Sandbox',
      metadata: { name, namespace: 'default' },
      spec: { templateRef: { name: template }, desiredState: 'Running' },
    });
    const created = await store.create(manifest);
    const running = await waitForRunning(store, name, created.metadata.resourceVersion ?? '0');
    const runningMs = elapsedMs(start);
    const ref = refFromStatus(running);
    const handle = await runtime.exec(ref, { command: ['echo', 'hi'] });
    await handle.stdin.close();
    const reader = handle.stdout.getReader();
    await reader.read();
    const firstOutputMs = elapsedMs(start);
    reader.releaseLock();
    await handle.exit;
    return { runningMs, firstOutputMs, ref, fromWarmPool: running.status?.fromWarmPool === true };
  }

  /** `echo hi` on a running sandbox → its first byte of output, in the foreground or background. */
  async function execFirstOutputMs(ref: SandboxRef, isBackground: boolean): Promise<number> {
    const start = process.hrtime.bigint();
    const handle = await runtime.exec(ref, { command: ['echo', 'hi'], background: isBackground });
    if (!isBackground) await handle.stdin.close();
    const reader = handle.stdout.getReader();
    await reader.read();
    const took = elapsedMs(start);
    await reader.cancel();
    await handle.exit;
    return took;
  }

  try {
    for (const [name, spec] of [
      ['bench', {}],
      ['bench-warm', { warmPool: { size: 3 } }],
    ] as const) {
      await store.create({
        apiVersion: v,
        kind: 'SandboxTemplate',
        metadata: { name, namespace: 'default' },
        spec,
      });
    }

    // Floor (bare bwrap to first output) and cold creates taken in turns, so that both see the
    // same machine: on a shared box the load drifts between one block of rounds and the next.
    const floor: number[] = [];
    const cold: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      progress(`floor and cold create ${i + 1}/${ROUNDS}`);
      floor.push(await floorFirstOutputMs());
      const r = await createToFirstOutput('bench', `cold-${i}`);
      cold.push(r.firstOutputMs);
      await removeAndWait(`cold-${i}`, r.ref);
    }
    const coldPairs = summarize(cold.map((ms, i) => ms / (floor[i] ?? ms)));

    const warm: number[] = [];
    const warmClaim: number[] = [];
    let warmHits = 0;
    for (let i = 0; i < ROUNDS; i++) {
      progress(`warm create ${i + 1}/${ROUNDS}`);
      for (let t = 0; t < 1000 && (controller.warmPool.stats()[0]?.ready ?? 0) < 3; t++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const r = await createToFirstOutput('bench-warm', `warm-${i}`);
      warm.push(r.firstOutputMs);
      warmClaim.push(r.runningMs);
      if (r.fromWarmPool) warmHits++;
      await removeAndWait(`warm-${i}`, r.ref);
    }

    // Exec round trip on one running sandbox.
    const keep = await createToFirstOutput('bench', 'exec-target');
    const exec: number[] = [];
    for (let i = 0; i < ROUNDS * 2; i++) {
      progress(`exec ${i + 1}/${ROUNDS * 2}`);
      const start = process.hrtime.bigint();
      await runToCompletion(runtime, keep.ref, { command: ['true'] });
      exec.push(elapsedMs(start));
    }
    // First output of `echo hi` on the same running sandbox: a foreground exec beside a
    // background one (detached supervisor, output through files), alternating, each started
    // on a quiet machine (the runtime refills what an exec took a moment after it).
    const foreground: number[] = [];
    const background: number[] = [];
    const settle = () => new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < ROUNDS * 2; i++) {
      progress(`exec first output ${i + 1}/${ROUNDS * 2}`);
      foreground.push(await execFirstOutputMs(keep.ref, false));
      await settle();
      background.push(await execFirstOutputMs(keep.ref, true));
      await settle();
    }
    await removeAndWait('exec-target', keep.ref);
    await controller.stop();

    // Idle memory: N sandboxes, PSS of each sandbox's process tree, beside N bare bwraps.
    const rssBefore = process.memoryUsage().rss;
    const refs: SandboxRef[] = [];
    for (let i = 0; i < IDLE_SANDBOXES; i++) {
      progress(`idle sandboxes ${i + 1}/${IDLE_SANDBOXES}`);
      const ref = { namespace: 'idle', name: `idle-${i}`, uid: `u${i}` };
      await runtime.provision({ ...ref, spec: {} });
      refs.push(ref);
    }
    await new Promise((r) => setTimeout(r, 500));
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    const paddockPss = refs.map((ref) => {
      const state = JSON.parse(
        readFileSync(join(root, ref.namespace, ref.name, 'state.json'), 'utf8'),
      ) as {
        incarnation: { monitor: { pid: number } };
      };
      return treePssBytes(state.incarnation.monitor.pid);
    });
    const bare = startIdleFloor(IDLE_SANDBOXES);
    await new Promise((r) => setTimeout(r, 500));
    const floorPss = bare.pids.map((pid) => treePssBytes(pid));
    bare.stop();
    for (const ref of refs) await runtime.destroy(ref);
    progress('');

    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const perSandbox = sum(paddockPss) / IDLE_SANDBOXES;
    const perFloor = sum(floorPss) / IDLE_SANDBOXES;
    const s = {
      floor: summarize(floor),
      cold: summarize(cold),
      warm: summarize(warm),
      warmClaim: summarize(warmClaim),
      exec: summarize(exec),
      foreground: summarize(foreground),
      background: summarize(background),
    };
    const row = (label: string, x: Summary, against?: Summary) =>
      `${label.padEnd(34)} p50 ${fmtMs(x.p50).padStart(9)}  p95 ${fmtMs(x.p95).padStart(9)}${
        against ? `   ${ratio(x.p50, against.p50).toFixed(2)}× floor p50` : ''
      }`;
    console.log(`\nPaddock local engine, ${ROUNDS} rounds (node ${process.version})`);
    console.log(row('floor: bare bwrap → first output', s.floor));
    console.log(
      row('cold: create → first output', s.cold, s.floor),
      `  goal ≤ 2× (round by round: median ${coldPairs.p50.toFixed(2)}×)`,
    );
    console.log(
      row('warm: create → first output', s.warm, s.floor),
      `  (${warmHits}/${ROUNDS} from the pool)`,
    );
    console.log(row('warm: create → Running (claim)', s.warmClaim), '  goal p50 ≤ 5 ms');
    console.log(row('exec round trip (true)', s.exec, s.floor));
    console.log(row('exec → first output', s.foreground, s.floor));
    console.log(
      row('background exec → first output', s.background, s.floor),
      `  ${ratio(s.background.p50, s.foreground.p50).toFixed(2)}× foreground p50 (goal ≤ 1.5×)`,
    );
    console.log(
      `idle memory, ${IDLE_SANDBOXES} sandboxes: ${fmtBytes(perSandbox)} PSS each vs floor ${fmtBytes(perFloor)}` +
        ` → overhead ${fmtBytes(perSandbox - perFloor)} (goal < 5 MiB); control plane RSS +${fmtBytes(rssGrowth / IDLE_SANDBOXES)} per sandbox`,
    );
    return {
      rounds: ROUNDS,
      idleSandboxes: IDLE_SANDBOXES,
      ...s,
      warmHits,
      ratios: {
        coldVsFloor: ratio(s.cold.p50, s.floor.p50),
        coldVsFloorPairedP50: coldPairs.p50,
        warmVsFloor: ratio(s.warm.p50, s.floor.p50),
        execVsFloor: ratio(s.exec.p50, s.floor.p50),
        foregroundVsFloor: ratio(s.foreground.p50, s.floor.p50),
        backgroundVsFloor: ratio(s.background.p50, s.floor.p50),
        backgroundVsForeground: ratio(s.background.p50, s.foreground.p50),
      },
      idleMemory: {
        perSandboxPssBytes: perSandbox,
        floorPerSandboxPssBytes: perFloor,
        overheadBytes: perSandbox - perFloor,
        controlPlaneRssPerSandboxBytes: rssGrowth / IDLE_SANDBOXES,
      },
    };
  } finally {
    await controller.stop().catch(() => {});
    for (const ref of await runtime.list()) await runtime.destroy(ref).catch(() => {});
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
