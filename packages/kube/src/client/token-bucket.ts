/**
 * A client-side rate limit: `rate` tokens a second, at most `burst` saved up. `take` resolves at
 * once while tokens remain and otherwise when the next one is due, in the order callers came.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last = performance.now();
  #tail: Promise<void> = Promise.resolve();

  constructor(rate: number, burst: number) {
    this.#rate = rate;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
  }

  take(signal?: AbortSignal): Promise<void> {
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return Promise.resolve();
    }
    const turn = this.#tail.then(() => this.#wait(signal));
    this.#tail = turn.catch(() => {});
    return turn;
  }

  async #wait(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      this.#refill();
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      const ms = ((1 - this.#tokens) / this.#rate) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(ms)));
    }
  }

  #refill(): void {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }
}
