import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
        await new Promise((r) => setTimeout(r, 5));
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
        await new Promise((r) => setTimeout(r, 1));
        return {};
      },
    });
    queue.add('k');
    await queue.idle();
    await new Promise((r) => setTimeout(r, 5));
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
    const deadline = Date.now() + 5000;
    while (attempts < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(attempts, 3);
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
    const deadline = Date.now() + 5000;
    while (times.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(times.length, 2, 'the 20 ms requeue fired, not the 10 s one');
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
    const deadline = Date.now() + 5000;
    while (attempts < 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
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
    while (retries.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
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
        await new Promise((r) => setTimeout(r, 5));
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
