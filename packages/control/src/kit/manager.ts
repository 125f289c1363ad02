import type { Kind, ResourceStore } from '@paddock/core';
import { CachedStore } from './cached-store.ts';
import { Controller, type ControllerOptions, type ReconcileOutcome } from './controller.ts';
import { Informer, type InformerOptions } from './informer.ts';

/**
 * Owns what one process's controllers share: one informer per kind, the cached view of the store
 * their reconcilers read ({@link CachedStore}), and the controllers themselves, started and
 * stopped together. Built on the ResourceStore seam alone, so it runs on any store.
 */
export class ControllerManager {
  /** The store as reconcilers read and write it: informed kinds come from the caches. */
  readonly store: ResourceStore;
  readonly #source: ResourceStore;
  readonly #log: (line: string) => void;
  readonly #onReconcile: ((outcome: ReconcileOutcome) => void) | undefined;
  readonly #informers = new Map<Kind, Informer<Kind>>();
  readonly #controllers: Controller[] = [];

  constructor(
    store: ResourceStore,
    options: {
      log?: (line: string) => void;
      onReconcile?: (outcome: ReconcileOutcome) => void;
    } = {},
  ) {
    this.#source = store;
    this.#log = options.log ?? (() => {});
    this.#onReconcile = options.onReconcile;
    this.store = new CachedStore(store, (kind) => this.#informers.get(kind));
  }

  /** The informer of `kind`, made on first use (`options` count then only). */
  informer<K extends Kind>(kind: K, options: Omit<InformerOptions, 'log'> = {}): Informer<K> {
    let informer = this.#informers.get(kind) as Informer<K> | undefined;
    if (informer === undefined) {
      informer = new Informer(this.#source, kind, { ...options, log: this.#log });
      this.#informers.set(kind, informer as Informer<Kind>);
    }
    return informer;
  }

  controller(options: Omit<ControllerOptions, 'log' | 'onReconcile'>): Controller {
    const controller = new Controller({
      ...options,
      log: this.#log,
      ...(this.#onReconcile === undefined ? {} : { onReconcile: this.#onReconcile }),
    });
    this.#controllers.push(controller);
    return controller;
  }

  /** Keys waiting for a reconcile, per controller. */
  queueDepths(): Array<{ controller: string; depth: number }> {
    return this.#controllers.map((c) => ({ controller: c.name, depth: c.depth }));
  }

  /** Lists every kind (resolving once all caches are filled), then watches in the background. */
  async start(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((informer) => informer.start()));
  }

  /** Stops watching, then waits for the reconciles in progress. */
  async stop(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((informer) => informer.stop()));
    await Promise.all(this.#controllers.map((controller) => controller.stop()));
  }
}
