import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually } from './eventually.ts';

describe('eventually', () => {
  it('returns the first value that is neither undefined nor false', async () => {
    const answers = [undefined, false, 0, 7];
    let tries = 0;
    const value = await eventually(() => answers[tries++], { intervalMs: 5 });
    assert.equal(value, 0);
    assert.equal(tries, 3);
  });

  it('awaits an async probe and returns true for a predicate', async () => {
    let tries = 0;
    const value = await eventually(async () => ++tries === 2, { intervalMs: 5 });
    assert.equal(value, true);
    assert.equal(tries, 2);
  });

  it('tries a throwing probe again', async () => {
    let tries = 0;
    const value = await eventually(
      () => {
        tries += 1;
        if (tries < 3) throw new Error(`not yet (${tries})`);
        return 'ready';
      },
      { intervalMs: 5 },
    );
    assert.equal(value, 'ready');
    assert.equal(tries, 3);
  });

  it('times out naming what it waited for and the last error', async () => {
    let tries = 0;
    const started = Date.now();
    const rejection = await eventually(
      () => {
        tries += 1;
        throw new Error(`still ${tries}`);
      },
      { what: 'the sandbox Running', timeoutMs: 100, intervalMs: 5 },
    ).catch((e: unknown) => e);
    assert.ok(Date.now() - started >= 100);
    assert.ok(rejection instanceof Error);
    assert.equal(
      rejection.message,
      `timed out after 100 ms waiting for the sandbox Running; the last try threw: still ${tries}`,
    );
    assert.ok(rejection.cause instanceof Error);
    assert.equal(rejection.cause.message, `still ${tries}`);
  });

  it('times out without an error when the probe only answered false', async () => {
    await assert.rejects(
      eventually(() => false, { timeoutMs: 20, intervalMs: 5 }),
      {
        message: 'timed out after 20 ms waiting for a condition',
      },
    );
  });
});
