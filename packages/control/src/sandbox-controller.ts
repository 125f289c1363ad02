import type { ResourceStore, SandboxRuntime } from '@paddock/core';
import { AdmissionLedger } from './admission-ledger.ts';
import type { EventRecorder } from './event-recorder.ts';
import type { ReconcileOutcome } from './kit/controller.ts';
import { ControllerManager } from './kit/manager.ts';
import type { CredentialSource } from './runs/credential-delivery.ts';
import { runtimeRefOf } from './runtime-ref.ts';
import { reconcileSandbox } from './sandbox-reconciler.ts';
import { collectOrphanSnapshots, watchStorage } from './storage/storage-controllers.ts';
import { WARM_POOL_NAMESPACE, WarmPool } from './warm-pool.ts';

export type SandboxControllerOptions = {
  store: ResourceStore;
  runtime: SandboxRuntime;
  events: EventRecorder;
  now?: () => Date;
  /** Every sandbox is looked at again this often, whatever changed (default 30 s). */
  resyncMs?: number;
  /**
   * Sandboxes reconciled at once (default 32). Provisioning runs external processes, so many
   * sandboxes provision in parallel; one sandbox is never reconciled twice at once.
   */
  concurrency?: number;
  log?: (line: string) => void;
  /** Where template `mounts[].credential` are read (none: such sandboxes fail to provision). */
  credentials?: CredentialSource;
  /** Told of every reconcile once it ends (metrics). */
  onReconcile?: (outcome: ReconcileOutcome) => void;
};

export type SandboxController = {
  warmPool: WarmPool;
  /**
   * The store as the controller reads it: Sandboxes and templates from its informers' caches
   * (every object in memory, with the controller's own writes at once), the rest from the store.
   */
  cache: ResourceStore;
  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void>;
  /** Keys waiting for a reconcile, per controller (metrics). */
  queueDepths(): Array<{ controller: string; depth: number }>;
  stop(): Promise<void>;
};

/**
 * The Sandbox controller, built from the kit: informers on Sandboxes (resynced periodically), on
 * both template kinds and on both policy kinds; the sandbox reconciler behind a keyed work queue,
 * reading the informers' caches; the warm pools synced whenever a template changes. Runtime
 * sandboxes no Sandbox owns are destroyed at start.
 */
export async function startSandboxController(
  options: SandboxControllerOptions,
): Promise<SandboxController> {
  const { runtime, events } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const kit = new ControllerManager(options.store, {
    log,
    ...(options.onReconcile === undefined ? {} : { onReconcile: options.onReconcile }),
  });
  const store = kit.store;
  const warmPool = new WarmPool({ store, runtime, events, now, log });
  const deps = {
    store,
    runtime,
    events,
    now,
    warmPool,
    admissions: new AdmissionLedger(),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
  const sandboxes = kit
    .controller({
      name: 'sandbox',
      concurrency: options.concurrency ?? 32,
      reconcile: (key) => reconcileSandbox(deps, key),
    })
    .watch(kit.informer('Sandbox', { resyncMs: options.resyncMs ?? 30_000 }));
  // Snapshots and volumes: their controllers run wherever sandboxes are reconciled.
  watchStorage(kit, { runtime, events, now }, sandboxes);
  for (const kind of ['SandboxTemplate', 'ClusterSandboxTemplate'] as const)
    kit.informer(kind).subscribe(() => void warmPool.scheduleSync());
  // Admission reads the policies from these caches: no request to the store per sandbox.
  kit.informer('Policy');
  kit.informer('ClusterPolicy');
  await kit.start();
  try {
    await collectOrphans(store, runtime, log);
  } catch (error) {
    // Orphans wait for the next start; the Sandboxes are reconciled (and report) meanwhile.
    log(`collecting orphaned sandboxes: ${(error as Error).message}`);
  }
  await collectOrphanSnapshots(store, runtime, log).catch((error: unknown) =>
    log(`collecting orphaned snapshots: ${(error as Error).message}`),
  );
  void warmPool.scheduleSync();
  return {
    warmPool,
    cache: store,
    idle: () => sandboxes.idle(),
    queueDepths: () => kit.queueDepths(),
    stop: async () => {
      await kit.stop();
      await warmPool.close();
    },
  };
}

/**
 * Destroys runtime sandboxes that no Sandbox owns (left by a crash between a delete and its
 * cleanup, or by a Sandbox recreated under the same name). Warm-pool entries are the pool's.
 */
export async function collectOrphans(
  store: ResourceStore,
  runtime: SandboxRuntime,
  log: (line: string) => void = () => {},
): Promise<number> {
  const owned = new Set(
    (await store.list('Sandbox')).items.map((s) => {
      const ref = runtimeRefOf(s);
      return `${ref.namespace}/${ref.name}/${ref.uid}`;
    }),
  );
  let destroyed = 0;
  for (const ref of await runtime.list()) {
    if (
      ref.namespace === WARM_POOL_NAMESPACE ||
      owned.has(`${ref.namespace}/${ref.name}/${ref.uid}`)
    )
      continue;
    log(`destroying orphaned sandbox ${ref.namespace}/${ref.name}: no Sandbox owns it`);
    await runtime.destroy(ref);
    destroyed++;
  }
  return destroyed;
}
