import { isPaddockError, type Kind, type ObjectKey, type ResourceOf } from '@paddock/core';
import type { Informer } from './informer.ts';
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
 * `requeueAfterMs`. A `conflict` (a write from a stale read) is retried without a log line.
 */
export class Controller {
  readonly name: string;
  readonly #queue: WorkQueue;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    const log = options.log ?? (() => {});
    const onReconcile = options.onReconcile;
    const reconcile =
      onReconcile === undefined
        ? (key: string) => options.reconcile(objectKeyOf(key))
        : async (key: string) => {
            const started = performance.now();
            const report = (result: ReconcileOutcome['result']) =>
              onReconcile({
                controller: this.name,
                result,
                durationMs: performance.now() - started,
              });
            try {
              const outcome = await options.reconcile(objectKeyOf(key));
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
   * itself; for another kind, say, the owner it reports to.
   */
  watch<K extends Kind>(
    informer: Informer<K>,
    keysOf: (object: ResourceOf<K>) => Iterable<string> = (object) => [queueKey(object.metadata)],
  ): this {
    informer.subscribe((event) => {
      for (const key of keysOf(event.object)) this.#queue.add(key);
    });
    return this;
  }

  /** Reconciles an object soon (something outside the store changed: a process exited, say). */
  enqueue(key: string): void {
    this.#queue.add(key);
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
