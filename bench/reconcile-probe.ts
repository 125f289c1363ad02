import type { ReconcileOutcome } from '@paddock/control';

/** The start of the next `sandbox` reconcile, read from the controller's `onReconcile` hook. */
export class ReconcileProbe {
  readonly counts: Record<string, number> = {};
  #waiter: ((startedAt: number) => void) | undefined;

  onReconcile = (outcome: ReconcileOutcome): void => {
    if (outcome.controller !== 'sandbox') return;
    this.counts[outcome.result] = (this.counts[outcome.result] ?? 0) + 1;
    if (this.#waiter === undefined) return;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter(performance.now() - outcome.durationMs);
  };

  next(timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reconcile')), timeoutMs);
      this.#waiter = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
    });
  }
}
