// The control plane on one ResourceStore, without a sandbox runtime's cost: the Sandbox
// controller of @paddock/control against the in-memory runtime (provisioning takes no time), so
// what is timed is the store, its watches and the reconcilers. Used by the kube part to put the
// Kubernetes store beside the SQLite store (bench/kube.ts).
import {
  MemoryEventRecorder,
  type SandboxController,
  startSandboxController,
} from '@paddock/control';
import { API_VERSION, type ResourceStore, type Sandbox } from '@paddock/core';
import { eventually, MemoryRuntime } from '@paddock/testkit';
import { ReconcileProbe } from './reconcile-probe.ts';
import { SandboxWaiter } from './sandbox-waiter.ts';
import { progress, type Summary, summarize } from './stats.ts';

export type ControlPlaneOptions = {
  /** Sandboxes created per throughput round. */
  sandboxes: number;
  /** Sandboxes in flight per round (each client creates one and waits until it runs). */
  concurrencies: readonly number[];
  /** Label writes timed from their commit to the reconcile they cause. */
  watchSamples: number;
  /** Warm claims one at a time; the burst claims `poolSize` at once. */
  claims: number;
  poolSize: number;
  namespace: string;
  /** Prefixes every object's name (a cluster may be shared). */
  prefix: string;
  /** A create not Running after this long is a failure. */
  timeoutMs: number;
  /** Requests the controller's store client has sent so far, where it counts them. */
  controllerRequests?: () => number;
};

export type ThroughputResult = {
  concurrency: number;
  sandboxes: number;
  elapsedMs: number;
  perSecond: number;
  createToRunning: Summary;
  /** The controller's requests to the store's API per Sandbox (Kubernetes only). */
  requestsPerSandbox?: number;
};

export type ControlPlaneResult = {
  throughput: ThroughputResult[];
  /** Store write returned → reconcile start (signed: negative when it started before). */
  watchLatency: Summary;
  /** Store write called → reconcile start. */
  watchLatencyFromCall: Summary;
  warmClaim: Summary;
  warmClaimHits: number;
  warmBurst: { size: number; elapsedMs: number; createToRunning: Summary; hits: number };
  /** Reconciles of the sandbox controller over the whole run, by how they ended. */
  reconciles: Record<string, number>;
  failures: string[];
};

function sandbox(namespace: string, name: string, template: string): Sandbox {
  return {
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { name, namespace },
    spec: { templateRef: { name: template }, desiredState: 'Running' },
  };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the cases share: the controller, the bench's watch, the names, the failures. */
type Run = {
  label: string;
  store: ResourceStore;
  controller: SandboxController;
  probe: ReconcileProbe;
  waiter: SandboxWaiter;
  options: ControlPlaneOptions;
  failures: string[];
};

/** The throughput rounds alone, and how the run went. */
export type ThroughputOnlyResult = Pick<
  ControlPlaneResult,
  'throughput' | 'reconciles' | 'failures'
>;

/**
 * Runs the control-plane cases on `store` (written by the bench as a user would) with a controller
 * on `controllerStore` (the same store, or another client of it).
 */
export function measureControlPlane(
  label: string,
  store: ResourceStore,
  controllerStore: ResourceStore,
  options: ControlPlaneOptions,
): Promise<ControlPlaneResult> {
  return withRun(label, store, controllerStore, options, async (run) => ({
    throughput: await throughputRounds(run),
    ...(await watchLatency(run)),
    ...(await warmClaims(run)),
    reconciles: run.probe.counts,
    failures: run.failures,
  }));
}

/** The throughput rounds of {@link measureControlPlane} alone. */
export function measureThroughput(
  label: string,
  store: ResourceStore,
  controllerStore: ResourceStore,
  options: ControlPlaneOptions,
): Promise<ThroughputOnlyResult> {
  return withRun(label, store, controllerStore, options, async (run) => ({
    throughput: await throughputRounds(run),
    reconciles: run.probe.counts,
    failures: run.failures,
  }));
}

/** Starts a controller and the bench's watch, creates the templates, runs `cases`, stops. */
async function withRun<T>(
  label: string,
  store: ResourceStore,
  controllerStore: ResourceStore,
  options: ControlPlaneOptions,
  cases: (run: Run) => Promise<T>,
): Promise<T> {
  const { namespace, prefix } = options;
  const failures: string[] = [];
  const probe = new ReconcileProbe();
  const controller = await startSandboxController({
    store: controllerStore,
    runtime: new MemoryRuntime(),
    events: new MemoryEventRecorder(),
    // No periodic resync during the run: it would reconcile every sandbox at once.
    resyncMs: 3_600_000,
    onReconcile: probe.onReconcile,
    log: (line) => failures.push(`${label} controller: ${line}`),
  });
  try {
    for (const [name, spec] of [
      [`${prefix}-cold`, {}],
      [`${prefix}-warm`, { warmPool: { size: options.poolSize } }],
    ] as const) {
      await store.create({
        apiVersion: API_VERSION,
        kind: 'SandboxTemplate',
        metadata: { name, namespace },
        spec,
      });
    }
    const from = (await store.list('Sandbox', { namespace, limit: 1 })).resourceVersion;
    const waiter = new SandboxWaiter(store, namespace, from);
    try {
      // A controller started on a store that holds sandboxes reconciles each of them once first.
      await quiesce(controller);
      return await cases({ label, store, controller, probe, waiter, options, failures });
    } finally {
      waiter.close();
    }
  } finally {
    progress('');
    await controller.stop();
  }
}

async function quiesce(controller: SandboxController): Promise<void> {
  await controller.idle();
  // The controller's last writes come back through its watch and are reconciled once more.
  await settle(200);
  await controller.idle();
}

/** create → Running as the bench's own watch sees it; undefined (and a failure) otherwise. */
async function createToRunning(run: Run, name: string, template: string) {
  const { namespace, prefix, timeoutMs } = run.options;
  const start = performance.now();
  try {
    await run.store.create(sandbox(namespace, name, `${prefix}-${template}`));
    const seen = await run.waiter.running(name, timeoutMs);
    return { ms: seen.at - start, fromWarmPool: seen.sandbox.status?.fromWarmPool === true };
  } catch (error) {
    run.failures.push(`${run.label} ${name}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Per concurrency: that many clients, each creating a Sandbox and waiting until it runs. */
async function throughputRounds(run: Run): Promise<ThroughputResult[]> {
  const { options } = run;
  const results: ThroughputResult[] = [];
  for (const concurrency of options.concurrencies) {
    const samples: number[] = [];
    let next = 0;
    const requestsBefore = options.controllerRequests?.();
    const start = performance.now();
    const client = async () => {
      while (next < options.sandboxes) {
        const i = next++;
        progress(`kube bench: ${run.label} ${concurrency} in flight ${i}/${options.sandboxes}`);
        const r = await createToRunning(run, `${options.prefix}-c${concurrency}-${i}`, 'cold');
        if (r !== undefined) samples.push(r.ms);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    const elapsedMs = performance.now() - start;
    await quiesce(run.controller);
    const requestsAfter = options.controllerRequests?.();
    results.push({
      concurrency,
      sandboxes: options.sandboxes,
      elapsedMs,
      perSecond: (samples.length / elapsedMs) * 1000,
      createToRunning: summarize(samples),
      ...(requestsBefore === undefined || requestsAfter === undefined
        ? {}
        : { requestsPerSandbox: (requestsAfter - requestsBefore) / options.sandboxes }),
    });
  }
  return results;
}

/** A label change on an idle, Running sandbox (its reconcile changes nothing), timed to the reconcile. */
async function watchLatency(run: Run) {
  const { store, options } = run;
  const fromReturn: number[] = [];
  const fromCall: number[] = [];
  const key = {
    namespace: options.namespace,
    name: `${options.prefix}-c${options.concurrencies[0]}-0`,
  };
  for (let i = 0; i < options.watchSamples; i++) {
    progress(`kube bench: ${run.label} watch latency ${i}/${options.watchSamples}`);
    await run.controller.idle();
    try {
      const current = await store.get('Sandbox', key);
      const reconciled = run.probe.next(options.timeoutMs);
      const call = performance.now();
      await store.update({
        ...current,
        metadata: {
          ...current.metadata,
          labels: { ...current.metadata.labels, 'bench.paddock.dev/tick': String(i) },
        },
      });
      const returned = performance.now();
      const startedAt = await reconciled;
      fromReturn.push(startedAt - returned);
      fromCall.push(startedAt - call);
    } catch (error) {
      run.failures.push(`${run.label} watch sample ${i}: ${(error as Error).message}`);
    }
  }
  await quiesce(run.controller);
  return { watchLatency: summarize(fromReturn), watchLatencyFromCall: summarize(fromCall) };
}

/** Claims one at a time on a full pool, then a burst of a whole pool at once. */
async function warmClaims(run: Run) {
  const { options, controller } = run;
  const pool = `${options.prefix}-warm`;
  const ready = () =>
    poolReady(controller, options.namespace, pool, options.poolSize, options.timeoutMs);
  const claims: number[] = [];
  let claimHits = 0;
  for (let i = 0; i < options.claims; i++) {
    progress(`kube bench: ${run.label} warm claim ${i}/${options.claims}`);
    await ready();
    const r = await createToRunning(run, `${options.prefix}-claim-${i}`, 'warm');
    if (r === undefined) continue;
    claims.push(r.ms);
    if (r.fromWarmPool) claimHits++;
  }
  await ready();
  await quiesce(controller);
  const burstStart = performance.now();
  const burst = await Promise.all(
    Array.from({ length: options.poolSize }, (_, i) =>
      createToRunning(run, `${options.prefix}-burst-${i}`, 'warm'),
    ),
  );
  const burstMs = performance.now() - burstStart;
  const done = burst.filter((r) => r !== undefined);
  return {
    warmClaim: summarize(claims),
    warmClaimHits: claimHits,
    warmBurst: {
      size: options.poolSize,
      elapsedMs: burstMs,
      createToRunning: summarize(done.map((r) => r.ms)),
      hits: done.filter((r) => r.fromWarmPool).length,
    },
  };
}

/** Waits until the warm pool of template `namespace/name` holds `size` ready sandboxes. */
async function poolReady(
  controller: SandboxController,
  namespace: string,
  name: string,
  size: number,
  timeoutMs: number,
): Promise<void> {
  const key = `SandboxTemplate/${namespace}/${name}`;
  // The pool lives in the controller, not in the store: nothing to watch, so look every 5 ms.
  await eventually(
    () => (controller.warmPool.stats().find((s) => s.template === key)?.ready ?? 0) >= size,
    { what: `warm pool ${key} ready`, timeoutMs, intervalMs: 5 },
  );
}
