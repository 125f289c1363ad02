import { isPaddockError, type ResourceStore, type SandboxRuntime } from '@paddock/core';
import type { EventRecorder } from './event-recorder.ts';
import { runtimeRefOf } from './runtime-ref.ts';
import { reconcileSandbox } from './sandbox-reconciler.ts';
import { WARM_POOL_NAMESPACE, WarmPool } from './warm-pool.ts';
import { WorkQueue } from './work-queue.ts';

export type SandboxControllerOptions = {
  store: ResourceStore;
  runtime: SandboxRuntime;
  events: EventRecorder;
  now?: () => Date;
  /** Every sandbox is looked at again this often, whatever changed (default 30 s). */
  resyncMs?: number;
  concurrency?: number;
  log?: (line: string) => void;
};

export type SandboxController = {
  warmPool: WarmPool;
  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Runs the Sandbox reconciler against a store and a runtime: lists, then watches Sandboxes (and
 * templates, for warm pools), reconciling each changed sandbox through a keyed work queue, with a
 * periodic resync for timeouts and for anything missed. A watch that expires re-lists.
 */
export async function startSandboxController(
  options: SandboxControllerOptions,
): Promise<SandboxController> {
  const { store, runtime, events } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const warmPool = new WarmPool({ store, runtime, events, now, log });
  const deps = { store, runtime, events, now, warmPool };
  const queue = new WorkQueue({
    concurrency: options.concurrency ?? 4,
    worker: (key) => {
      const [namespace = '', name = ''] = key.split('/');
      return reconcileSandbox(deps, { namespace, name });
    },
    onError: (key, error) => {
      if (!isPaddockError(error, 'conflict')) log(`reconcile ${key}: ${(error as Error).message}`);
    },
  });
  const abort = new AbortController();

  const enqueueAll = async () => {
    const list = await store.list('Sandbox');
    for (const s of list.items) queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
    return list.resourceVersion;
  };

  const watchSandboxes = async (from: string) => {
    let version = from;
    while (!abort.signal.aborted) {
      try {
        for await (const event of store.watch('Sandbox', {
          resourceVersion: version,
          signal: abort.signal,
        })) {
          version = event.object.metadata.resourceVersion ?? version;
          queue.add(`${event.object.metadata.namespace}/${event.object.metadata.name}`);
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        if (isPaddockError(error, 'expired')) version = await enqueueAll();
        else {
          log(`sandbox watch: ${(error as Error).message}`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
  };

  const watchTemplates = async (kind: 'SandboxTemplate' | 'ClusterSandboxTemplate') => {
    while (!abort.signal.aborted) {
      try {
        for await (const _ of store.watch(kind, { signal: abort.signal }))
          void warmPool.scheduleSync();
      } catch (error) {
        if (abort.signal.aborted) return;
        log(`${kind} watch: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };

  const version = await enqueueAll();
  await collectOrphans(store, runtime, log);
  const loops = [
    watchSandboxes(version),
    watchTemplates('SandboxTemplate'),
    watchTemplates('ClusterSandboxTemplate'),
  ];
  void warmPool
    .scheduleSync()
    .catch((error: unknown) => log(`warm pool: ${(error as Error).message}`));
  const resync = setInterval(() => void enqueueAll().catch(() => {}), options.resyncMs ?? 30_000);
  resync.unref();

  return {
    warmPool,
    idle: () => queue.idle(),
    stop: async () => {
      abort.abort();
      clearInterval(resync);
      await Promise.allSettled(loops);
      await queue.close();
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
