import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourceEvent, runEventLogContract } from '@paddock/testkit';
import { MemoryEventRecorder } from './event-recorder.ts';

runEventLogContract('memory', async () => ({
  log: new MemoryEventRecorder(),
  cleanup: async () => {},
}));

describe('MemoryEventRecorder', () => {
  it('keeps only the newest `capacity` events, across all objects', async () => {
    const recorder = new MemoryEventRecorder(3);
    for (let n = 1; n <= 5; n++) recorder.record(resourceEvent(n, { name: `box-${n % 2}` }));
    const page = await recorder.query();
    assert.deepEqual(
      page.items.map((e) => e.reason),
      ['Step3', 'Step4', 'Step5'],
    );
    assert.deepEqual(
      recorder.list({ name: 'box-1' }).map((e) => e.reason),
      ['Step3', 'Step5'],
    );
  });
});
