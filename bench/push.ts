// Push, not poll: how soon an in-process reader has a write, on the real SQLite logs of one
// `paddock.db` (WAL, fsync on commit). For a resource watch, a sandbox-events follow, a run-events
// follow and an audit follow: the reader waits, the writer commits, and each sample times the
// write call (the commit) and the moment the reader holds the entry. "Wake" is the reader's lag
// behind the write's own return, in microseconds: negative when the reader held the entry before
// the writer resumed. The former streams polled every 250 ms, so an entry waited 125 ms on
// average. Reported, not thresholds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditRecord, type ResourceEvent, transcriptEvent } from '@paddock/core';
import {
  openSqliteAuditLog,
  openSqliteEventLog,
  openSqliteRunEventLog,
  openSqliteStore,
} from '@paddock/store-sqlite';
import { elapsedMs, fmtMs, progress, type Summary, summarize } from './stats.ts';

const SAMPLES = Number(process.env.PADDOCK_BENCH_PUSH_SAMPLES ?? 2_000);

/** `delivered` and `commit` in milliseconds; `wakeUs` in microseconds, signed. */
type CaseResult = { commit: Summary; delivered: Summary; wakeUs: Summary };

/**
 * Times `SAMPLES` writes while `reader` waits for each: `write(i)` commits entry i, `reader`
 * yields entries in order.
 */
async function measure(
  label: string,
  reader: AsyncIterator<unknown>,
  write: (i: number) => Promise<unknown>,
): Promise<CaseResult> {
  const commit: number[] = [];
  const delivered: number[] = [];
  const wakeUs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    if (i % 100 === 0) progress(`push bench: ${label} ${i}/${SAMPLES}`);
    let heldAt: bigint | undefined;
    const pending = reader.next().then((result) => {
      heldAt = process.hrtime.bigint();
      if (result.done) throw new Error(`${label}: the reader ended`);
    });
    // Let the reader reach its wait before the write, as a live stream would be.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const start = process.hrtime.bigint();
    await write(i);
    const committedAt = process.hrtime.bigint();
    await pending;
    const held = heldAt ?? committedAt;
    commit.push(elapsedMs(start));
    delivered.push(Number(held - start) / 1e6);
    wakeUs.push(Number(held - committedAt) / 1e3);
  }
  return {
    commit: summarize(commit),
    delivered: summarize(delivered),
    wakeUs: summarize(wakeUs),
  };
}

export async function runPushBench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-bench-push-'));
  const path = join(dir, 'paddock.db');
  const store = await openSqliteStore({ path });
  const events = await openSqliteEventLog({ path, maxEventsPerObject: SAMPLES + 10 });
  const runLog = await openSqliteRunEventLog({ path });
  const audit = await openSqliteAuditLog({ path });
  const stop = new AbortController();
  const results: Record<string, CaseResult> = {};
  try {
    const watch = store.watch('SandboxTemplate', { namespace: 'bench', signal: stop.signal });
    results.resourceWatch = await measure('resource watch', watch[Symbol.asyncIterator](), (i) =>
      store.create({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'SandboxTemplate',
        metadata: { name: `t-${i}`, namespace: 'bench' },
        spec: {},
      }),
    );

    const about = { kind: 'Sandbox', namespace: 'bench', name: 'box', uid: 'bench-uid' };
    const follow = events.follow(about, stop.signal);
    results.sandboxEvents = await measure('sandbox events', follow[Symbol.asyncIterator](), (i) => {
      const event: ResourceEvent = {
        ...about,
        type: 'Normal',
        reason: 'Bench',
        message: `event ${i}`,
        timestamp: new Date().toISOString(),
      };
      return events.record(event);
    });

    const transcript = runLog.follow('bench-run', 0, stop.signal);
    results.runEvents = await measure('run events', transcript[Symbol.asyncIterator](), (i) =>
      runLog.append('bench-run', [
        transcriptEvent({ type: 'log', level: 'info', message: `line ${i}` }, new Date()),
      ]),
    );

    const records = audit.follow(stop.signal);
    results.audit = await measure('audit', records[Symbol.asyncIterator](), (i) => {
      const record: AuditRecord = {
        id: `bench-${i}`,
        time: new Date().toISOString(),
        requestId: `req-${i}`,
        actor: 'bench',
        action: 'sandbox.exec',
        target: { kind: 'Sandbox', namespace: 'bench', name: 'box' },
        result: 'success',
      };
      return audit.append(record);
    });
  } finally {
    stop.abort();
    progress('');
    await Promise.all([store.close(), events.close(), runLog.close(), audit.close()]);
    rmSync(dir, { recursive: true, force: true });
  }

  const us = (x: number) => `${x.toFixed(1)} µs`.padStart(9);
  const row = (label: string, r: CaseResult) =>
    `${label.padEnd(22)} commit p50 ${fmtMs(r.commit.p50).padStart(8)}  delivered p50 ${fmtMs(
      r.delivered.p50,
    ).padStart(8)} p95 ${fmtMs(r.delivered.p95).padStart(8)}  wake p50 ${us(r.wakeUs.p50)} p95 ${us(
      r.wakeUs.p95,
    )}`;
  console.log(`\nCommit → wake, in process, ${SAMPLES} writes each (SQLite, WAL, fsync)`);
  const labels: Record<string, string> = {
    resourceWatch: 'resource watch',
    sandboxEvents: 'sandbox events follow',
    runEvents: 'run events follow',
    audit: 'audit follow',
  };
  for (const [key, result] of Object.entries(results)) console.log(row(labels[key] ?? key, result));
  console.log('(the former 250 ms polls: 125 ms on average, 250 ms at worst)');
  return { samples: SAMPLES, ...results };
}
