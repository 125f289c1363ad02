// npm run bench: Paddock measured beside its floor in the same run, in these parts:
// - engine: the local engine in process vs a bare bwrap call (bench/engine.ts);
// - api: the real server under concurrent creates and execs through @paddock/client vs the
//   same execs through the runtime directly (bench/api-load.ts);
// - harness: the built-in agent harness per turn and at cold start vs direct SDK calls, against
//   the scripted LLM (bench/harness.ts);
// - gateway: streaming model calls through the LLM gateway vs straight to the scripted LLM
//   (bench/gateway.ts);
// - push: commit → wake of in-process watches and log follows (bench/push.ts);
// - memory: N idle sandboxes through the server (PSS, server RSS per sandbox, get/list at 5 vs
//   at N) beside N bare bwrap sandboxes (bench/density.ts);
// - kube: the control plane on a Kubernetes API server beside SQLite (reconcile throughput, watch
//   latency, warm claims) and the leader takeover time (bench/kube.ts); skipped without a server;
// - e2b: create → first output of a command through the official `e2b` SDK vs the same journey
//   through @paddock/client (bench/e2b.ts);
// - pause: pause and resume of a local sandbox by the memory it holds vs the bare freezer
//   (bench/pause.ts);
// - snapshots: snapshot and fork of a local sandbox by workspace size vs a bare cp -a
//   (bench/snapshots.ts);
// - kube-api: list and watch latency through paddock up's Kubernetes API beside its REST API
//   (bench/kube-api.ts).
// PADDOCK_BENCH_ONLY=engine|api|harness|gateway|push|memory|kube|e2b|pause|snapshots|kube-api runs one part. Prints tables
// and ratios and merges the results into bench/results/latest.json (engine results at the top
// level, the others under `api`, `harness`, `gateway`, `push`, `memory`, `kube` and `e2b`).
// Exits non-zero when the API, memory, kube or e2b case lost or failed any request.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runApiLoadBench } from './api-load.ts';
import { runDensityBench } from './density.ts';
import { runE2bBench } from './e2b.ts';
import { runEngineBench } from './engine.ts';
import { runGatewayBench } from './gateway.ts';
import { runHarnessBench } from './harness.ts';
import { runKubeBench } from './kube.ts';
import { runKubeApiBench } from './kube-api.ts';
import { runPauseBench } from './pause.ts';
import { runPushBench } from './push.ts';
import { runSnapshotBench } from './snapshots.ts';

const PARTS = [
  'engine',
  'api',
  'harness',
  'gateway',
  'push',
  'memory',
  'kube',
  'e2b',
  'pause',
  'snapshots',
  'kube-api',
] as const;
const only = process.env.PADDOCK_BENCH_ONLY;
if (only !== undefined && only !== '' && !PARTS.some((p) => p === only)) {
  console.error(`PADDOCK_BENCH_ONLY must be one of ${PARTS.join(', ')}, not "${only}"`);
  process.exit(2);
}
const runs = (part: (typeof PARTS)[number]) => only === undefined || only === '' || only === part;

const out = join(import.meta.dirname, 'results');
const file = join(out, 'latest.json');
const previous: Record<string, unknown> = existsSync(file)
  ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
  : {};
let results: Record<string, unknown> = { ...previous, node: process.version };
let failed = 0;

if (runs('engine')) {
  const { api, harness, gateway } = results;
  results = {
    node: process.version,
    ...(await runEngineBench()),
    ...(api ? { api } : {}),
    ...(harness ? { harness } : {}),
    ...(gateway ? { gateway } : {}),
    ...(results.push ? { push: results.push } : {}),
    ...(results.memory ? { memory: results.memory } : {}),
    ...(results.kube ? { kube: results.kube } : {}),
    ...(results.e2b ? { e2b: results.e2b } : {}),
    ...(results.pause ? { pause: results.pause } : {}),
    ...(results.snapshots ? { snapshots: results.snapshots } : {}),
    ...(results['kube-api'] ? { 'kube-api': results['kube-api'] } : {}),
  };
}
if (runs('api')) {
  const api = await runApiLoadBench();
  results.api = api;
  failed += api.failures.length;
}
if (runs('harness')) {
  results.harness = await runHarnessBench();
}
if (runs('gateway')) {
  results.gateway = await runGatewayBench();
}
if (runs('push')) {
  results.push = await runPushBench();
}
if (runs('memory')) {
  const memory = await runDensityBench();
  results.memory = memory;
  failed += memory.failures.length;
}
if (runs('kube')) {
  const kube = await runKubeBench();
  results.kube = kube;
  failed += kube.failures.length;
}
if (runs('e2b')) {
  const e2b = await runE2bBench();
  results.e2b = e2b;
  failed += e2b.failures.length;
}
if (runs('pause')) {
  results.pause = await runPauseBench();
}
if (runs('snapshots')) {
  results.snapshots = await runSnapshotBench();
}
if (runs('kube-api')) {
  const kubeApi = await runKubeApiBench();
  results['kube-api'] = kubeApi;
  failed += kubeApi.failures.length;
}

mkdirSync(out, { recursive: true });
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log('results: bench/results/latest.json');
if (failed > 0) {
  console.error(`bench: the API, memory, kube and e2b cases had ${failed} failure(s)`);
  process.exitCode = 1;
}
