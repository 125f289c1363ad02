import type { ResourceStore, RunEventLog, SandboxRuntime } from '@paddock/core';
import { isPaddockError } from '@paddock/core';
import type { EventRecorder } from '../event-recorder.ts';
import { WorkQueue } from '../work-queue.ts';
import type { GatewayAccess, HarnessPaths } from './harness-plan.ts';
import { type PumpState, RunPumps } from './run-pump.ts';
import { type RunReconcileDeps, reconcileRun } from './run-reconciler.ts';

export type RunControllerOptions = {
  store: ResourceStore;
  runtime: SandboxRuntime;
  runLog: RunEventLog;
  events: EventRecorder;
  harness: HarnessPaths;
  gatewayFor: RunReconcileDeps['gatewayFor'];
  spentToday?: RunReconcileDeps['spentToday'];
  credentials?: RunReconcileDeps['credentials'];
  now?: () => Date;
  /** Every run is looked at again this often, whatever changed (default 30 s). */
  resyncMs?: number;
  log?: (line: string) => void;
};

export type RunController = {
  /** What the transcript pump of a run has seen; undefined when none runs in this process. */
  pumpState(runUid: string): PumpState | undefined;
  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
};

export type { GatewayAccess };

/**
 * Runs the Run reconciler: lists, then watches Runs and the Sandboxes runs own (a run waits on
 * its sandbox), reconciling each through a keyed work queue; transcript pumps wake their run
 * when the harness reports usage, an outcome or its exit.
 */
export async function startRunController(options: RunControllerOptions): Promise<RunController> {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const abort = new AbortController();
  let queue: WorkQueue | undefined;
  const pumps = new RunPumps({
    runtime: options.runtime,
    log: options.runLog,
    now,
    wake: (key) => queue?.add(key),
    logLine: log,
  });
  const deps: RunReconcileDeps = {
    store,
    runtime: options.runtime,
    runLog: options.runLog,
    pumps,
    events: options.events,
    harness: options.harness,
    gatewayFor: options.gatewayFor,
    spentToday:
      options.spentToday ?? (async () => ({ userSpentTodayUsd: 0, namespaceSpentTodayUsd: 0 })),
    now,
    stopping: new Map(),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
  const work = new WorkQueue({
    concurrency: 4,
    worker: (key) => {
      const [namespace = '', name = ''] = key.split('/');
      return reconcileRun(deps, { namespace, name });
    },
    onError: (key, error) => {
      if (!isPaddockError(error, 'conflict'))
        log(`reconcile run ${key}: ${(error as Error).message}`);
    },
  });
  queue = work;

  const enqueueAll = async () => {
    const list = await store.list('Run');
    for (const r of list.items) work.add(`${r.metadata.namespace}/${r.metadata.name}`);
    return list.resourceVersion;
  };

  const watch = async (kind: 'Run' | 'Sandbox', from: string | undefined) => {
    let version = from;
    while (!abort.signal.aborted) {
      try {
        for await (const event of store.watch(kind, {
          ...(version === undefined ? {} : { resourceVersion: version }),
          signal: abort.signal,
        })) {
          version = event.object.metadata.resourceVersion ?? version;
          const meta = event.object.metadata;
          if (kind === 'Run') work.add(`${meta.namespace}/${meta.name}`);
          else {
            for (const owner of meta.ownerReferences ?? []) {
              if (owner.kind === 'Run') work.add(`${meta.namespace}/${owner.name}`);
            }
          }
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        if (isPaddockError(error, 'expired'))
          version = kind === 'Run' ? await enqueueAll() : undefined;
        else {
          log(`${kind} watch (runs): ${(error as Error).message}`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
  };

  const version = await enqueueAll();
  const loops = [watch('Run', version), watch('Sandbox', undefined)];
  const resync = setInterval(() => void enqueueAll().catch(() => {}), options.resyncMs ?? 30_000);
  resync.unref();
  return {
    pumpState: (uid) => pumps.state(uid),
    idle: () => work.idle(),
    stop: async () => {
      abort.abort();
      clearInterval(resync);
      await Promise.allSettled(loops);
      await work.close();
      await pumps.close();
    },
  };
}
