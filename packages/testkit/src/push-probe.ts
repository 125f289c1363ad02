import { mock } from 'node:test';

/**
 * Whether `promise` has settled before the event loop's next turn (a `setImmediate` callback):
 * true for a reader woken by a push inside the writer's commit, false for one that waits for any
 * timer, however short. Deterministic: no clock is read.
 */
export async function isSettledThisTurn(promise: Promise<unknown>): Promise<boolean> {
  let isSettled = false;
  promise.then(
    () => {
      isSettled = true;
    },
    () => {
      isSettled = true;
    },
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  return isSettled;
}

/**
 * Runs `body` with `setTimeout` and `setInterval` replaced by node:test's mock timers, which
 * never fire unless ticked: whatever `body` sees happen needed no timer. Restored afterwards;
 * `body` must end everything it started (a timer it left would be dropped).
 */
export async function withoutTimers<T>(body: () => Promise<T>): Promise<T> {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    return await body();
  } finally {
    mock.timers.reset();
  }
}
