// When a run's transcript stream may end, decided on a real SQLite store and run log: every step
// is pushed (the check runs within the turn of the change that settles it, with timers frozen).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ChangeFeed, type Run, transcriptEvent } from '@paddock/core';
import {
  openSqliteRunEventLog,
  openSqliteStore,
  type SqliteRunEventLog,
  type SqliteStore,
} from '@paddock/store-sqlite';
import { isSettledThisTurn, withoutTimers } from '@paddock/testkit';
import type { RunWriters } from '../run-services.ts';
import { runSettled } from './run-settled.ts';

/** Writers as a set of run uids, and the feed `runSettled` listens to. */
class FakeWriters implements RunWriters {
  readonly writing = new Set<string>();
  readonly #feed = new ChangeFeed();
  isWriting = (uid: string) => this.writing.has(uid);
  subscribe = (listener: () => void) => this.#feed.subscribe(listener);
  done(uid: string): void {
    this.writing.delete(uid);
    this.#feed.notify();
  }
}

const log = (message: string) =>
  transcriptEvent({ type: 'log', level: 'info', message }, new Date('2025-01-01T00:00:00Z'));

describe('runSettled', () => {
  let dir: string;
  let store: SqliteStore;
  let runLog: SqliteRunEventLog;
  let run: Run;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paddock-settled-'));
    store = await openSqliteStore({ path: join(dir, 'paddock.db') });
    runLog = await openSqliteRunEventLog({ path: join(dir, 'paddock.db') });
    const created = await store.create<Run>({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Run',
      metadata: { name: 'r', namespace: 'default' },
      spec: { agent: { harness: { kind: 'builtin' } }, prompt: 'x', mode: 'task' },
    });
    run = await store.updateStatus({ ...created, status: { phase: 'Running', conditions: [] } });
  });

  afterEach(async () => {
    await runLog.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('settles right after the last write of a finished run, woken by each change', async () => {
    const uid = run.metadata.uid ?? '';
    const writers = new FakeWriters();
    writers.writing.add(uid);
    const progress = new ChangeFeed();
    let sent = 0;
    const markSent = (seq: number) => {
      sent = seq;
      progress.notify();
    };
    const controller = new AbortController();
    await withoutTimers(async () => {
      const settled = runSettled({
        store,
        runLog,
        writers,
        run,
        sent: () => sent,
        isFinishedSent: () => false,
        subscribeSent: (listener) => progress.subscribe(listener),
        signal: controller.signal,
      });
      assert.equal(await isSettledThisTurn(settled), false, 'Running');
      await runLog.append(uid, [log('one'), log('run.finished stands here')]);
      markSent(2);
      assert.equal(await isSettledThisTurn(settled), false, 'still Running');
      await store.updateStatus({ ...run, status: { phase: 'Succeeded', conditions: [] } });
      assert.equal(await isSettledThisTurn(settled), false, 'the harness still writes');
      // The gateway records the last call just after the harness's own end.
      await runLog.append(uid, [log('llm.call')]);
      writers.done(uid);
      assert.equal(await isSettledThisTurn(settled), false, 'seq 3 not sent yet');
      markSent(3);
      assert.equal(await isSettledThisTurn(settled), true, 'everything written and sent');
      controller.abort();
    });
  });

  it('settles right after run.finished once the run has its outcome, the harness still exiting', async () => {
    const uid = run.metadata.uid ?? '';
    const writers = new FakeWriters();
    writers.writing.add(uid);
    await runLog.append(uid, [log('one'), log('run.finished stands here')]);
    let isFinishedSent = false;
    const progress = new ChangeFeed();
    const controller = new AbortController();
    await withoutTimers(async () => {
      const settled = runSettled({
        store,
        runLog,
        writers,
        run,
        sent: () => 2,
        isFinishedSent: () => isFinishedSent,
        subscribeSent: (listener) => progress.subscribe(listener),
        signal: controller.signal,
      });
      await store.updateStatus({ ...run, status: { phase: 'Succeeded', conditions: [] } });
      assert.equal(await isSettledThisTurn(settled), false, 'the last event sent is not the end');
      isFinishedSent = true;
      progress.notify();
      assert.equal(await isSettledThisTurn(settled), true, 'run.finished was the last event');
      controller.abort();
    });
  });

  it('settles as soon as the run gets its outcome, when nothing else is left', async () => {
    const uid = run.metadata.uid ?? '';
    await runLog.append(uid, [log('one')]);
    const controller = new AbortController();
    await withoutTimers(async () => {
      const settled = runSettled({
        store,
        runLog,
        writers: new FakeWriters(),
        run,
        sent: () => 1,
        isFinishedSent: () => false,
        subscribeSent: () => () => {},
        signal: controller.signal,
      });
      assert.equal(await isSettledThisTurn(settled), false, 'Running');
      await store.updateStatus({ ...run, status: { phase: 'Cancelled', conditions: [] } });
      assert.equal(await isSettledThisTurn(settled), true, 'woken by the status commit');
      controller.abort();
    });
  });

  it('settles when the run is deleted; an abort ends the wait', async () => {
    const uid = run.metadata.uid ?? '';
    const writers = new FakeWriters();
    writers.writing.add(uid);
    const options = {
      store,
      runLog,
      writers,
      run,
      sent: () => 0,
      isFinishedSent: () => false,
      subscribeSent: () => () => {},
    };
    await withoutTimers(async () => {
      const aborted = new AbortController();
      const waiting = runSettled({ ...options, signal: aborted.signal });
      assert.equal(await isSettledThisTurn(waiting), false);
      aborted.abort();
      assert.equal(await isSettledThisTurn(waiting), true, 'ended by the abort');

      const live = new AbortController();
      const settled = runSettled({ ...options, signal: live.signal });
      assert.equal(await isSettledThisTurn(settled), false);
      await store.delete('Run', { namespace: 'default', name: 'r' });
      assert.equal(await isSettledThisTurn(settled), true, 'the run is gone');
      live.abort();
    });
  });
});
