import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually } from '@paddock/testkit';
import { backoffDelayMs, type Retry, WorkQueue } from './work-queue.ts';

describe('work queue', () => {
  it('processes a queued key once per burst of adds, and one at a time', async () => {
    const seen: string[] = [];
    let active = 0;
    let maxActiveForA = 0;
    const queue = new WorkQueue({
      concurrency: 1,
      worker: async (key) => {
        if (key === 'a') maxActiveForA = Math.max(maxActiveForA, ++active);
        seen.push(key);
        await new Promise((r) => setTimeout(r, 5)); // busy while the next adds arrive
        if (key === 'a') active--;
        return {};
      },
    });
    queue.add('b');
    queue.add('a');
    queue.add('a');
    await queue.idle();
    assert.deepEqual(seen, ['b', 'a']);
    assert.equal(maxActiveForA, 1);
    await queue.close();
  });

  it('runs a key again when it changed while being processed', async () => {
    let runs = 0;
    const queue = new WorkQueue({
      worker: async () => {
        runs++;
        if (runs === 1) queue.add('k');
        await new Promise((r) => setTimeout(r, 1)); // still busy when the key changes
        return {};
      },
    });
    queue.add('k');
    await eventually(() => runs === 2, { what: 'the second run', intervalMs: 5 });
    await queue.idle();
    assert.equal(runs, 2);
    await queue.close();
  });

  it('retries a failing key with backoff and reports each failure', async () => {
    let attempts = 0;
    const errors: string[] = [];
    const queue = new WorkQueue({
      worker: async () => {
        attempts++;
        if (attempts < 3) throw new Error(`fail ${attempts}`);
        return {};
      },
      onError: (_, e) => errors.push((e as Error).message),
    });
    queue.add('x');
    await eventually(() => attempts === 3, { what: 'the third attempt', intervalMs: 5 });
    assert.deepEqual(errors, ['fail 1', 'fail 2']);
    await queue.close();
  });

  it('honours requested requeues and keeps the earliest deadline', async () => {
    const times: number[] = [];
    const queue = new WorkQueue({
      worker: async () => {
        times.push(Date.now());
        return times.length === 1 ? { requeueAfterMs: 20 } : {};
      },
    });
    queue.add('t');
    queue.addAfter('t', 10_000);
    await eventually(() => times.length === 2, {
      what: 'the 20 ms requeue (not the 10 s one)',
      timeoutMs: 5000,
      intervalMs: 5,
    });
    await queue.close();
  });

  it('backs off exponentially between retries, up to its cap, and a success resets it', async () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 40].map((failures) =>
        backoffDelayMs(failures, { baseMs: 100, maxMs: 1000 }),
      ),
      [100, 200, 400, 800, 1000, 1000, 1000],
    );
    const retries: Retry[] = [];
    let attempts = 0;
    const queue = new WorkQueue({
      backoff: { baseMs: 1, maxMs: 8 },
      worker: async () => {
        attempts++;
        if (attempts === 7) return {};
        throw new Error('not yet');
      },
      onError: (_, _e, retry) => retries.push(retry),
    });
    queue.add('k');
    await eventually(() => attempts === 7, { what: 'the seventh attempt', intervalMs: 5 });
    assert.deepEqual(
      retries.map((r) => r.delayMs),
      [1, 2, 4, 8, 8, 8],
    );
    assert.deepEqual(
      retries.map((r) => r.failures),
      [1, 2, 3, 4, 5, 6],
    );
    attempts = 0;
    retries.length = 0;
    queue.add('k');
    await eventually(() => retries.length > 0, { what: 'the next failure', intervalMs: 5 });
    assert.equal(retries[0]?.delayMs, 1, 'the success reset the failure count');
    await queue.close();
  });

  it('runs different keys in parallel, up to its concurrency', async () => {
    let active = 0;
    let most = 0;
    const queue = new WorkQueue({
      concurrency: 2,
      worker: async () => {
        most = Math.max(most, ++active);
        await new Promise((r) => setTimeout(r, 5)); // busy while the other keys are taken up
        active--;
        return {};
      },
    });
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    await queue.idle();
    assert.equal(most, 2);
    await queue.close();
  });
});
