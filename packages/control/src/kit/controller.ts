import {
  type AnyResource,
  isPaddockError,
  type Kind,
  type ObjectKey,
  type ResourceOf,
  WatchEventType,
} from '@paddock/core';
import type { Informer, InformerEvent } from './informer.ts';
import { objectKeyOf, queueKey } from './queue-key.ts';
import { type Backoff, type ReconcileResult, WorkQueue } from './work-queue.ts';

export type ControllerOptions = {
  /** Names the controller in logs: `reconcile <name> <key>: …`. */
  name: string;
  /** One idempotent step of the object towards its spec; a throw retries with backoff. */
  reconcile: (key: ObjectKey) => Promise<ReconcileResult>;
  /** Objects reconciled at once (default 4); one object is never reconciled twice at once. */
  concurrency?: number;
  backoff?: Backoff;
  log?: (line: string) => void;
  /** Told of every reconcile once it ends: for metrics. */
  onReconcile?: (outcome: ReconcileOutcome) => void;
};

/** How one reconcile ended: `conflict` is a write from a stale read, retried at once. */
export type ReconcileOutcome = {
  controller: string;
  result: 'success' | 'error' | 'conflict';
  durationMs: number;
};

/**
 * A reconcile loop: what the informers it watches report becomes keys of a work queue, which runs
 * one reconcile per key at a time, de-duplicates keys, retries failures with backoff and honours
 * `requeueAfterMs`. A `conflict` (a write from a stale read) is retried without a log line. A pass
 * that returns `settledVersion` is not followed by another for the echo of its own write.
 */
export class Controller {
  readonly name: string;
  readonly #queue: WorkQueue;
  /** Per key: the version its last pass settled at (`ReconcileResult.settledVersion`). */
  readonly #settled = new Map<string, string>();
  /** Per key: versions of its own object that arrived while its pass ran, judged at its end. */
  readonly #held = new Map<string, Array<string | undefined>>();
  /** Keys asked for while their pass ran by anything but an event of their own object. */
  readonly #mustRerun = new Set<string>();

  constructor(options: ControllerOptions) {
    this.name = options.name;
    const log = options.log ?? (() => {});
    const onReconcile = options.onReconcile;
    const reconcile =
      onReconcile === undefined
        ? (key: string) => this.#settle(key, options.reconcile(objectKeyOf(key)))
        : async (key: string) => {
            const started = performance.now();
            const report = (result: ReconcileOutcome['result']) =>
              onReconcile({
                controller: this.name,
                result,
                durationMs: performance.now() - started,
              });
            try {
              const outcome = await this.#settle(key, options.reconcile(objectKeyOf(key)));
              report('success');
              return outcome;
            } catch (error) {
              report(isPaddockError(error, 'conflict') ? 'conflict' : 'error');
              throw error;
            }
          };
    this.#queue = new WorkQueue({
      worker: reconcile,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      onError: (key, error) => {
        if (!isPaddockError(error, 'conflict'))
          log(`reconcile ${this.name} ${key}: ${(error as Error).message}`);
      },
    });
  }

  /**
   * Reconciles, on every event of `informer`, the objects `keysOf` names: by default the object
   * itself (and then not for the echo of a write its last pass settled at); for another kind,
   * say, the owner it reports to.
   */
  watch<K extends Kind>(
    informer: Informer<K>,
    keysOf?: (object: ResourceOf<K>) => Iterable<string>,
  ): this {
    informer.subscribe((event) => {
      if (keysOf === undefined) this.#offer(queueKey(event.object.metadata), event);
      else for (const key of keysOf(event.object)) this.#add(key);
    });
    return this;
  }

  /** An event of the key's own object: a pass, unless it is the version the last pass settled at. */
  #offer(key: string, event: InformerEvent<AnyResource>): void {
    const version = event.object.metadata.resourceVersion;
    const isChange = event.type === WatchEventType.Added || event.type === WatchEventType.Modified;
    if (!isChange) {
      this.#settled.delete(key);
      this.#add(key);
      return;
    }
    if (this.#queue.isActive(key)) {
      const held = this.#held.get(key) ?? [];
      held.push(version);
      this.#held.set(key, held);
      this.#queue.add(key);
      return;
    }
    if (version === undefined || this.#settled.get(key) !== version) this.#queue.add(key);
  }

  #add(key: string): void {
    if (this.#queue.isActive(key)) this.#mustRerun.add(key);
    this.#queue.add(key);
  }

  /**
   * Records where a pass settled. The pass the queue holds behind it (for what arrived meanwhile)
   * is dropped when all that arrived was the echo of the version it settled at.
   */
  async #settle(key: string, pass: Promise<ReconcileResult>): Promise<ReconcileResult> {
    let settled: string | undefined;
    try {
      const result = await pass;
      settled = result.settledVersion;
      return result;
    } finally {
      if (settled === undefined) this.#settled.delete(key);
      else this.#settled.set(key, settled);
      const held = this.#held.get(key) ?? [];
      this.#held.delete(key);
      const isEcho =
        settled !== undefined && held.length > 0 && held.every((version) => version === settled);
      if (isEcho && !this.#mustRerun.has(key)) this.#queue.cancelRerun(key);
      this.#mustRerun.delete(key);
    }
  }

  /** Reconciles an object soon (something outside the store changed: a process exited, say). */
  enqueue(key: string): void {
    this.#add(key);
  }

  /** Keys waiting for a reconcile. */
  get depth(): number {
    return this.#queue.depth;
  }

  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Takes no more keys and waits for the reconciles in progress. */
  stop(): Promise<void> {
    return this.#queue.close();
  }
}
