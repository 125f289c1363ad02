import {
  isTerminalRunPhase,
  type ResourceStore,
  type Run,
  type RunEventLog,
  RunPhase,
  WatchEventType,
} from '@paddock/core';
import type { RunWriters } from '../run-services.ts';

export type RunSettledOptions = {
  store: ResourceStore;
  runLog: RunEventLog;
  writers: RunWriters;
  /** The run as read when the stream began: the stream is about this uid. */
  run: Run;
  /** The `seq` of the last event the stream has sent. */
  sent(): number;
  /** Whether the last event the stream sent is the harness's `run.finished`. */
  isFinishedSent(): boolean;
  /** Subscribes to "the stream sent an event". */
  subscribeSent(listener: () => void): () => void;
  signal: AbortSignal;
};

/**
 * Resolves once a run's transcript stream has nothing left to send: the run has an outcome (or
 * is gone, or was replaced under its name), and either the last event sent is `run.finished`
 * (stored only after every model call of the run, so nothing belongs after it; a harness slow to
 * exit does not hold the stream open) or nothing in this process still writes its transcript
 * (`RunWriters`) and every stored event was sent. Nothing is polled: the check runs again only
 * when something it reads changes (a watch on the Run, the writers' feed, the stream's own
 * progress). Also resolves when `signal` aborts; either way it leaves no listener or watch
 * behind. Rejects when the transcript cannot be read.
 */
export async function runSettled(options: RunSettledOptions): Promise<void> {
  const { store, runLog, writers, run, signal } = options;
  const uid = run.metadata.uid ?? '';
  const { namespace } = run.metadata;
  const name = run.metadata.name ?? '';
  const stopWatch = new AbortController();
  let current: Run | undefined = run;
  let isWatchLost = false;
  let isDirty = true;
  let wake: (() => void) | undefined;
  const poke = () => {
    isDirty = true;
    wake?.();
  };
  void (async () => {
    try {
      // Watch from now, then read the run again: a change in between is seen by one or both.
      const changes = store.watch('Run', {
        ...(namespace === undefined ? {} : { namespace }),
        signal: AbortSignal.any([signal, stopWatch.signal]),
      });
      current = await store
        .get('Run', { ...(namespace === undefined ? {} : { namespace }), name })
        .catch(() => undefined);
      poke();
      for await (const change of changes) {
        if (change.object.metadata.name !== name) continue;
        current = change.type === WatchEventType.Deleted ? undefined : change.object;
        poke();
      }
    } catch {
      // Reported below: a lost watch ends the stream; the client resumes or reads pages.
    } finally {
      // Ended or failed (the store closed): nothing would tell us of the run's outcome any more.
      isWatchLost = true;
      poke();
    }
  })();
  const offWriters = writers.subscribe(poke);
  const offSent = options.subscribeSent(poke);
  signal.addEventListener('abort', poke);
  const isSettled = async (): Promise<boolean> => {
    if (isWatchLost || current === undefined || current.metadata.uid !== uid) return true;
    if (!isTerminalRunPhase(current.status?.phase ?? RunPhase.Pending)) return false;
    const isAllSent = (await runLog.lastSeq(uid)) <= options.sent();
    if (isAllSent && options.isFinishedSent()) return true;
    return isAllSent && !writers.isWriting(uid);
  };
  try {
    while (!signal.aborted) {
      if (!isDirty) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      isDirty = false;
      if (await isSettled()) return;
    }
  } finally {
    signal.removeEventListener('abort', poke);
    offWriters();
    offSent();
    stopWatch.abort();
  }
}
