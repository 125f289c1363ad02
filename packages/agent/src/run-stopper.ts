/**
 * How a run is stopped from outside its loop (a signal, `POST /cancel`, the timeout): the first
 * request wins, its {@link Stop} becomes the run's outcome, and the signal aborts the in-flight
 * model stream and the running tools.
 */
import type { Stop } from './budget.ts';

export class RunStopper {
  readonly #controller = new AbortController();
  #stop: Stop | undefined;

  /** Aborted once a stop is requested. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The stop requested first, if any. */
  get stop(): Stop | undefined {
    return this.#stop;
  }

  request(stop: Stop): void {
    if (this.#stop !== undefined) return;
    this.#stop = stop;
    this.#controller.abort(stop);
  }
}
