import type { ResourceStore, RunEventLog, Sandbox, SandboxRuntime } from '@paddock/core';
import type { EventRecorder } from '../event-recorder.ts';
import type { Informer } from '../kit/informer.ts';
import { ControllerManager } from '../kit/manager.ts';
import { queueKey } from '../kit/queue-key.ts';
import type { GatewayAccess, HarnessPaths } from './harness-plan.ts';
import { type PumpState, RunPumps, type RunPumpsOptions } from './run-pump.ts';
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
  /** See `RunPumpsOptions.othersWritten`: the gateway's calls of a run, all recorded. */
  othersWritten?: RunPumpsOptions['othersWritten'];
  now?: () => Date;
  /** Every run is looked at again this often, whatever changed (default 30 s). */
  resyncMs?: number;
  log?: (line: string) => void;
};

export type RunController = {
  /** What the transcript pump of a run has seen; undefined when none runs in this process. */
  pumpState(runUid: string): PumpState | undefined;
  /**
   * Calls `listener` (synchronously) whenever a transcript pump starts, changes or ends, until
   * the returned function is called: a stream waiting for a run to settle re-reads `pumpState`.
   */
  subscribePumps(listener: () => void): () => void;
  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
};

export type { GatewayAccess };

/**
 * The Run controller, built from the kit: informers on Runs (resynced periodically) and on
 * Sandboxes, whose changes wake the runs that own or name them (a run waits on its sandbox); the
 * run reconciler behind a keyed work queue, reading the informers' caches. Transcript pumps wake
 * their run when the harness reports usage, an outcome or its exit.
 */
export async function startRunController(options: RunControllerOptions): Promise<RunController> {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const kit = new ControllerManager(options.store, { log });
  const runs = kit.informer('Run', { resyncMs: options.resyncMs ?? 30_000 });
  const controller = kit.controller({
    name: 'run',
    concurrency: 4,
    reconcile: (key) => reconcileRun(deps, key),
  });
  const pumps = new RunPumps({
    runtime: options.runtime,
    log: options.runLog,
    now,
    wake: (key) => controller.enqueue(key),
    ...(options.othersWritten === undefined ? {} : { othersWritten: options.othersWritten }),
    logLine: log,
  });
  const deps: RunReconcileDeps = {
    store: kit.store,
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
  controller.watch(runs).watch(kit.informer('Sandbox'), (sandbox) => runsWaitingOn(runs, sandbox));
  await kit.start();
  return {
    pumpState: (uid) => pumps.state(uid),
    subscribePumps: (listener) => pumps.subscribe(listener),
    idle: () => controller.idle(),
    stop: async () => {
      await kit.stop();
      await pumps.close();
    },
  };
}

/** The runs a change of `sandbox` concerns: those that own it and those that name it. */
function runsWaitingOn(runs: Informer<'Run'>, sandbox: Sandbox): Set<string> {
  const { namespace, name, ownerReferences = [] } = sandbox.metadata;
  const keys = new Set<string>();
  for (const owner of ownerReferences)
    if (owner.kind === 'Run') keys.add(queueKey({ namespace, name: owner.name }));
  for (const run of runs.list({ namespace }))
    if (run.spec.sandbox?.name === name) keys.add(queueKey(run.metadata));
  return keys;
}
