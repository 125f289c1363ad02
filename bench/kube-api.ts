// The Kubernetes API of `paddock up` beside its REST API, on one real server in one run: list
// latency of the same page through both (interleaved), and watch latency: one watch on each
// surface, each write timed until each stream holds its event. Goal: the Kubernetes API within
// 1.2× of REST. Reported, not thresholds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchServer } from './server.ts';
import { elapsedMs, fmtMs, progress, ratio, type Summary, summarize } from './stats.ts';

const OBJECTS = Number(process.env.PADDOCK_BENCH_KUBE_API_OBJECTS ?? 200);
const LISTS = Number(process.env.PADDOCK_BENCH_KUBE_API_LISTS ?? 200);
const WRITES = Number(process.env.PADDOCK_BENCH_KUBE_API_WRITES ?? 300);
const NS = 'bench';
const API = 'paddock.dev/v1alpha1';
const REST_PATH = `/api/v1/namespaces/${NS}/sandboxtemplates`;
const KUBE_PATH = `/apis/${API}/namespaces/${NS}/sandboxtemplates`;

type Pair = { rest: Summary; kube: Summary; ratioP50: number; ratioP95: number };
export type KubeApiBenchResult = {
  objects: number;
  list: Pair;
  watch: Pair;
  failures: string[];
};

const template = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: API,
  kind: 'SandboxTemplate',
  metadata: { name, labels },
  spec: { description: `bench template ${name}` },
});

/** Calls `onEvent` with the `i` label of each event the stream carries (SSE or JSON lines). */
async function follow(
  url: string,
  isSse: boolean,
  signal: AbortSignal,
  onEvent: (i: string) => void,
) {
  const res = await fetch(url, { signal });
  if (!res.ok || res.body === null) throw new Error(`${url}: HTTP ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  void (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return;
        buffered += decoder.decode(chunk.value, { stream: true });
        for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 1);
          const body = isSse ? (line.startsWith('data:') ? line.slice(5) : '') : line;
          if (body.trim() === '') continue;
          const event = JSON.parse(body) as {
            object?: { metadata?: { labels?: Record<string, string> } };
          };
          const i = event.object?.metadata?.labels?.i;
          if (i !== undefined) onEvent(i);
        }
      }
    } catch {
      // aborted at the end of the bench
    }
  })();
}

function pair(rest: number[], kube: number[]): Pair {
  const r = summarize(rest);
  const k = summarize(kube);
  return { rest: r, kube: k, ratioP50: ratio(k.p50, r.p50), ratioP95: ratio(k.p95, r.p95) };
}

export async function runKubeApiBench(): Promise<KubeApiBenchResult> {
  const home = mkdtempSync(join(tmpdir(), 'paddock-bench-kube-api-'));
  const server = await startBenchServer(home);
  const failures: string[] = [];
  const abort = new AbortController();
  try {
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (let i = 0; i < OBJECTS; i++) {
      const res = await post(REST_PATH, template(`t${String(i).padStart(4, '0')}`));
      if (res.status !== 201) failures.push(`create t${i}: HTTP ${res.status}`);
    }
    await post(REST_PATH, template('w'));
    const restLists: number[] = [];
    const kubeLists: number[] = [];
    const timeList = async (path: string, into: number[]) => {
      const start = process.hrtime.bigint();
      const res = await fetch(`${server.url}${path}`);
      const body = (await res.json()) as { items?: unknown[] };
      into.push(elapsedMs(start));
      if (body.items?.length !== OBJECTS + 1) failures.push(`${path}: ${body.items?.length} items`);
    };
    for (let i = 0; i < LISTS; i++) {
      if (i % 20 === 0) progress(`kube-api bench: list ${i}/${LISTS}`);
      // Interleaved, each first in turn: neither surface gets the warmer caches.
      if (i % 2 === 0) {
        await timeList(REST_PATH, restLists);
        await timeList(KUBE_PATH, kubeLists);
      } else {
        await timeList(KUBE_PATH, kubeLists);
        await timeList(REST_PATH, restLists);
      }
    }
    const pending = new Map<
      string,
      { start: bigint; rest?: number; kube?: number; done: () => void }
    >();
    const seen = (surface: 'rest' | 'kube') => (i: string) => {
      const entry = pending.get(i);
      if (entry === undefined || entry[surface] !== undefined) return;
      entry[surface] = elapsedMs(entry.start);
      if (entry.rest !== undefined && entry.kube !== undefined) entry.done();
    };
    const list = (await (await fetch(`${server.url}${KUBE_PATH}`)).json()) as {
      metadata: { resourceVersion: string };
    };
    const from = list.metadata.resourceVersion;
    await follow(
      `${server.url}${REST_PATH}?watch=true&resourceVersion=${from}`,
      true,
      abort.signal,
      seen('rest'),
    );
    await follow(
      `${server.url}${KUBE_PATH}?watch=true&resourceVersion=${from}`,
      false,
      abort.signal,
      seen('kube'),
    );
    const restWatch: number[] = [];
    const kubeWatch: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      if (i % 20 === 0) progress(`kube-api bench: watch ${i}/${WRITES}`);
      const key = String(i);
      const delivered = new Promise<void>((done) =>
        pending.set(key, { start: process.hrtime.bigint(), done }),
      );
      const entry = pending.get(key);
      if (entry !== undefined) entry.start = process.hrtime.bigint();
      const res = await fetch(`${server.url}${REST_PATH}/w`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/apply-patch+json' },
        body: JSON.stringify(template('w', { i: key })),
      });
      if (res.status !== 200) failures.push(`write ${i}: HTTP ${res.status}`);
      await Promise.race([delivered, new Promise((r) => setTimeout(r, 10_000))]);
      const got = pending.get(key);
      if (got?.rest === undefined || got.kube === undefined)
        failures.push(`event ${i} not delivered to both`);
      else {
        restWatch.push(got.rest);
        kubeWatch.push(got.kube);
      }
      pending.delete(key);
    }
    const result = {
      objects: OBJECTS,
      list: pair(restLists, kubeLists),
      watch: pair(restWatch, kubeWatch),
      failures,
    };
    progress('');
    console.log(`\nKubernetes API beside REST (one server, ${OBJECTS} objects per list)`);
    for (const [name, p] of [
      ['list', result.list],
      ['watch', result.watch],
    ] as const) {
      console.log(
        `  ${name.padEnd(6)} REST p50 ${fmtMs(p.rest.p50)} p95 ${fmtMs(p.rest.p95)} | Kubernetes p50 ${fmtMs(p.kube.p50)} p95 ${fmtMs(p.kube.p95)} | ratio p50 ${p.ratioP50.toFixed(2)}× p95 ${p.ratioP95.toFixed(2)}× (goal ≤ 1.2×)`,
      );
    }
    return result;
  } finally {
    abort.abort();
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
