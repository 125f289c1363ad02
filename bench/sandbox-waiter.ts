import type { ResourceStore, Sandbox } from '@paddock/core';

type Seen = { at: number; sandbox: Sandbox };
type Waiter = { resolve(seen: Seen): void; reject(error: Error): void };

/**
 * One watch on the Sandboxes of a namespace that tells, per name, when a Sandbox was first seen
 * Running (a `performance.now()` reading taken as the event arrives), or that it went to Error.
 * Events that arrive before anyone waits are kept.
 */
export class SandboxWaiter {
  readonly #stop = new AbortController();
  readonly #running = new Map<string, Seen>();
  readonly #errors = new Map<string, string>();
  readonly #waiters = new Map<string, Waiter>();
  #ended: Error | undefined;

  constructor(store: ResourceStore, namespace: string, fromVersion: string) {
    void this.#follow(store, namespace, fromVersion);
  }

  async #follow(store: ResourceStore, namespace: string, fromVersion: string): Promise<void> {
    try {
      for await (const event of store.watch('Sandbox', {
        namespace,
        resourceVersion: fromVersion,
        signal: this.#stop.signal,
      })) {
        const at = performance.now();
        const name = event.object.metadata.name ?? '';
        const phase = event.object.status?.phase;
        if (phase === 'Running' && !this.#running.has(name)) {
          const seen = { at, sandbox: event.object };
          this.#running.set(name, seen);
          this.#waiters.get(name)?.resolve(seen);
        } else if (phase === 'Error' && !this.#errors.has(name)) {
          const message = `Error: ${event.object.status?.message ?? 'no message'}`;
          this.#errors.set(name, message);
          this.#waiters.get(name)?.reject(new Error(message));
        }
      }
      this.#end(new Error('the watch ended'));
    } catch (error) {
      this.#end(error as Error);
    }
  }

  #end(error: Error): void {
    this.#ended = error;
    for (const waiter of this.#waiters.values()) waiter.reject(error);
  }

  /** Resolves when `name` is Running; rejects on Error, a watch failure, or after `timeoutMs`. */
  running(name: string, timeoutMs: number): Promise<Seen> {
    const seen = this.#running.get(name);
    if (seen !== undefined) return Promise.resolve(seen);
    const error = this.#errors.get(name);
    if (error !== undefined) return Promise.reject(new Error(error));
    if (this.#ended !== undefined) return Promise.reject(this.#ended);
    return new Promise<Seen>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(name);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`not Running after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(name, {
        resolve: (s) => {
          done();
          resolve(s);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
  }

  close(): void {
    this.#stop.abort();
  }
}
