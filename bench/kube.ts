// The Kubernetes backend's control plane beside the SQLite store's, in the same run: the same
// Sandbox controller in process, on the in-memory runtime (no pods: the store, its watches and
// the reconcilers are what is timed), on a KubeStore against a Kubernetes API server and on
// SQLite in a temp dir (the cases: bench/control-plane.ts). The Kubernetes controller has a client
// of its own at `paddock controller`'s default limit (200 qps, burst 400), as in a cluster;
// the throughput round at the highest concurrency runs once more with that client unlimited, to
// tell the client's rate limit from the server. Beside them, a leader's death: how long until a
// waiting candidate takes the Lease over, with `paddock controller`'s default election timings.
// Needs an API server (PADDOCK_TEST_KUBECONFIG, or the test API server of the development tree,
// started and discarded here); skipped, with the reason, without one. On a cluster named by
// PADDOCK_TEST_KUBECONFIG the objects stay behind in `default` (names `bench-<id>-…`).
// Goal reported against (not a threshold): warm claim p50 ≤ 50 ms.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  installCoreApiTestCrds,
  installCrds,
  KubeClient,
  type KubeClientStats,
  KubeStore,
  measureTakeover,
  paddockCrds,
  type TakeoverMeasurement,
} from '@paddock/kube';
import { openSqliteStore } from '@paddock/store-sqlite';
import { eventually, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import {
  DEFAULT_ELECTION,
  DEFAULT_KUBE_BURST,
  DEFAULT_KUBE_QPS,
} from '../apps/controller/src/config.ts';
import {
  type ControlPlaneOptions,
  type ControlPlaneResult,
  measureControlPlane,
  measureThroughput,
  type ThroughputOnlyResult,
  type ThroughputResult,
} from './control-plane.ts';
import { fmtMs, progress, ratio, type Summary } from './stats.ts';

const OPTIONS = {
  sandboxes: Number(process.env.PADDOCK_BENCH_KUBE_SANDBOXES ?? 200),
  concurrencies: [10, 50],
  watchSamples: Number(process.env.PADDOCK_BENCH_KUBE_WATCH_SAMPLES ?? 100),
  claims: Number(process.env.PADDOCK_BENCH_KUBE_CLAIMS ?? 30),
  poolSize: 10,
  namespace: 'default',
  timeoutMs: 30_000,
} as const;

export type KubeBenchResult = {
  skipped?: string;
  failures: string[];
  [key: string]: unknown;
};

/** Runs the kube part and prints its tables; returns the results for latest.json. */
export async function runKubeBench(): Promise<KubeBenchResult> {
  if (kubeSkipReason !== undefined) {
    console.log(`\nkube: skipped: ${kubeSkipReason}`);
    return { skipped: kubeSkipReason, failures: [] };
  }
  const prefix = `bench-${randomUUID().slice(0, 6)}`;
  const options: ControlPlaneOptions = { ...OPTIONS, prefix };

  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-kube-'));
  const sqlite = await openSqliteStore({ path: join(dir, 'paddock.db') });
  let sqliteResult: ControlPlaneResult;
  try {
    sqliteResult = await measureControlPlane('sqlite', sqlite, sqlite, options);
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const server = await startKubeTestServer();
  let kube: KubeSide;
  try {
    kube = await measureKubeSide(server, options);
  } finally {
    await server.stop();
  }
  const failures = [...sqliteResult.failures, ...kube.failures];

  print(sqliteResult, kube, server.full);
  for (const failure of failures.slice(0, 20)) console.error(`kube: failure: ${failure}`);
  return {
    cluster: server.full ? 'PADDOCK_TEST_KUBECONFIG' : 'test API server (CRDs only)',
    runtime: 'memory (no pods)',
    sandboxes: options.sandboxes,
    watchSamples: options.watchSamples,
    claims: options.claims,
    poolSize: options.poolSize,
    sqlite: withoutFailures(sqliteResult),
    kube: withoutFailures(kube.result),
    kubeUnlimitedClient: withoutFailures(kube.unlimited),
    controllerRequests: kube.requests,
    ...(kube.takeover === undefined ? {} : { takeover: kube.takeover }),
    ratios: ratios(sqliteResult, kube),
    failures,
  };
}

type KubeSide = {
  /** The controller on a client with `paddock controller`'s default limit. */
  result: ControlPlaneResult;
  requests: KubeClientStats;
  /** The throughput rounds again with the controller's client unlimited: the server's share. */
  unlimited: ThroughputOnlyResult;
  takeover: TakeoverMeasurement | undefined;
  failures: string[];
};

async function measureKubeSide(
  server: { kubeconfig: string; full: boolean },
  options: ControlPlaneOptions,
): Promise<KubeSide> {
  const unlimited = { qps: 10_000, burst: 10_000 };
  // The bench writes as many users would (no client-side limit); the controller has a client of
  // its own with `paddock controller`'s default limit, as in a cluster.
  const users = await KubeClient.fromKubeconfig(server.kubeconfig, unlimited);
  const controllerClient = await KubeClient.fromKubeconfig(server.kubeconfig, {
    qps: DEFAULT_KUBE_QPS,
    burst: DEFAULT_KUBE_BURST,
  });
  const unlimitedClient = await KubeClient.fromKubeconfig(server.kubeconfig, unlimited);
  const userStore = new KubeStore(users);
  const controllerStore = new KubeStore(controllerClient);
  const unlimitedStore = new KubeStore(unlimitedClient);
  const failures: string[] = [];
  let takeover: TakeoverMeasurement | undefined;
  try {
    await installCrds(users, paddockCrds());
    await installCoreApiTestCrds(users, server);
    // The takeover waits out a lease (~15 s) doing next to nothing: it runs beside the
    // control-plane cases, which start once its first leader (a child process) holds the Lease.
    const lease = `${options.prefix}-takeover`;
    const takeoverDone = measureTakeover({
      kubeconfig: server.kubeconfig,
      name: lease,
      ...DEFAULT_ELECTION,
    }).then(
      (measured) => {
        takeover = measured;
      },
      (error: Error) => {
        failures.push(`takeover: ${error.message}`);
      },
    );
    await leaseHeld(users, lease);
    const result = await measureControlPlane('kube', userStore, controllerStore, {
      ...options,
      controllerRequests: () => controllerClient.stats.requests,
    });
    const requests = controllerClient.stats;
    const fast = await measureThroughput('kube unlimited', userStore, unlimitedStore, {
      ...options,
      prefix: `${options.prefix}-u`,
      concurrencies: [Math.max(...options.concurrencies)],
      controllerRequests: () => unlimitedClient.stats.requests,
    });
    progress('kube bench: waiting for the leader takeover');
    await takeoverDone;
    progress('');
    failures.push(...result.failures, ...fast.failures);
    return { result, requests, unlimited: fast, takeover, failures };
  } finally {
    await Promise.all([userStore.close(), controllerStore.close(), unlimitedStore.close()]);
    for (const client of [users, controllerClient, unlimitedClient]) client.close();
  }
}

/** Resolves once the Lease `name` in `default` has a holder. */
async function leaseHeld(client: KubeClient, name: string): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/default/leases/${name}`;
  await eventually(
    async () => {
      const lease = await client.request<{ spec?: { holderIdentity?: string } }>('GET', path);
      return (lease.spec?.holderIdentity ?? '') !== '';
    },
    { what: `a holder of lease ${name}`, intervalMs: 50 },
  );
}

function withoutFailures<T extends { failures: string[] }>(result: T) {
  const { failures, ...rest } = result;
  return { ...rest, failureCount: failures.length };
}

/** Kubernetes ÷ SQLite: above 1, Kubernetes is slower (for throughput: SQLite ÷ Kubernetes). */
function ratios(sqlite: ControlPlaneResult, side: KubeSide) {
  const kube = side.result;
  const slowdown = (runs: readonly ThroughputResult[]) => {
    const byConcurrency: Record<string, number> = {};
    for (const k of runs) {
      const s = sqlite.throughput.find((t) => t.concurrency === k.concurrency);
      if (s !== undefined) byConcurrency[`c${k.concurrency}`] = ratio(s.perSecond, k.perSecond);
    }
    return byConcurrency;
  };
  return {
    throughputSlowdown: slowdown(kube.throughput),
    throughputSlowdownUnlimitedClient: slowdown(side.unlimited.throughput),
    watchLatencyP50: ratio(kube.watchLatencyFromCall.p50, sqlite.watchLatencyFromCall.p50),
    warmClaimP50: ratio(kube.warmClaim.p50, sqlite.warmClaim.p50),
  };
}

function print(sqlite: ControlPlaneResult, side: KubeSide, full: boolean): void {
  const { result: kube, requests, takeover } = side;
  const p = (s: Summary) => `p50 ${fmtMs(s.p50).padStart(9)} p95 ${fmtMs(s.p95).padStart(9)}`;
  const row = (label: string, s: string, k: string, r?: number) =>
    console.log(
      `${label.padEnd(32)} sqlite ${s}   kube ${k}${r === undefined ? '' : `   ${r.toFixed(2)}×`}`,
    );
  const where = full
    ? 'a cluster (PADDOCK_TEST_KUBECONFIG)'
    : 'the test API server, etcd without fsync';
  console.log(
    `\nControl plane on Kubernetes (${where}) vs SQLite (WAL, fsync): the same Sandbox controller ` +
      'in process on the in-memory runtime (no pods: the store, its watches and the reconcilers ' +
      'are timed), events in memory; × = how many times slower on Kubernetes',
  );
  const unlimited = side.unlimited.throughput.map((t) => ({ ...t, unlimited: true }));
  for (const k of [...kube.throughput, ...unlimited]) {
    const s = sqlite.throughput.find((t) => t.concurrency === k.concurrency);
    if (s === undefined) continue;
    const rate = (t: ThroughputResult) => `${t.perSecond.toFixed(1).padStart(6)} Sandboxes/s`;
    if ('unlimited' in k)
      console.log("the kube controller's client without a rate limit (the server's share):");
    row(
      `${k.sandboxes} creates, ${k.concurrency} in flight`,
      rate(s).padEnd(27),
      rate(k),
      ratio(s.perSecond, k.perSecond),
    );
    row(
      '  create → Running',
      p(s.createToRunning),
      p(k.createToRunning),
      ratio(k.createToRunning.p50, s.createToRunning.p50),
    );
  }
  row(
    'watch: write call → reconcile',
    p(sqlite.watchLatencyFromCall),
    p(kube.watchLatencyFromCall),
    ratio(kube.watchLatencyFromCall.p50, sqlite.watchLatencyFromCall.p50),
  );
  // Signed, near zero on both: no ratio.
  row('  write returned → reconcile', p(sqlite.watchLatency), p(kube.watchLatency));
  row(
    `warm claim, one at a time`,
    p(sqlite.warmClaim),
    p(kube.warmClaim),
    ratio(kube.warmClaim.p50, sqlite.warmClaim.p50),
  );
  console.log(
    `${''.padEnd(32)} hits ${sqlite.warmClaimHits}/${sqlite.warmClaim.n} and ` +
      `${kube.warmClaimHits}/${kube.warmClaim.n}; goal: kube p50 ≤ 50 ms`,
  );
  const burst = (r: ControlPlaneResult) =>
    `${fmtMs(r.warmBurst.elapsedMs)} (${r.warmBurst.hits} hits)`.padEnd(27);
  row(
    `warm burst of ${kube.warmBurst.size}, all Running`,
    burst(sqlite),
    burst(kube),
    ratio(kube.warmBurst.elapsedMs, sqlite.warmBurst.elapsedMs),
  );
  const verbs = Object.entries(requests.byVerb)
    .map(([verb, n]) => `${verb} ${n}`)
    .join(', ');
  const perSandbox = [...kube.throughput, ...unlimited]
    .map(
      (t) =>
        `${(t.requestsPerSandbox ?? Number.NaN).toFixed(1)} at ${t.concurrency} in flight` +
        ('unlimited' in t ? ' unlimited' : ''),
    )
    .join(', ');
  const counts = (r: ControlPlaneResult) =>
    Object.entries(r.reconciles)
      .map(([result, n]) => `${n} ${result}`)
      .join(', ');
  console.log(
    `kube controller: ${requests.requests} API requests (${verbs}; ${requests.retries} retried) ` +
      `at the controller's default limit (${DEFAULT_KUBE_QPS} qps, burst ${DEFAULT_KUBE_BURST}); per Sandbox ${perSandbox}`,
  );
  console.log(`reconciles: sqlite ${counts(sqlite)}; kube ${counts(kube)}`);
  if (takeover !== undefined) {
    console.log(
      `leader takeover after a SIGKILL: ${fmtMs(takeover.takeoverMs)} (lease ${takeover.leaseDurationMs / 1000} s, ` +
        `renew deadline ${takeover.renewDeadlineMs / 1000} s, retry ${takeover.retryPeriodMs / 1000} s; ` +
        `last renewal ${fmtMs(takeover.sinceLastRenewMs)} before the kill; ran beside the cases above)`,
    );
  }
}
