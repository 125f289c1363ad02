// The SandboxRuntime contract on the memory runtime, the fake the control tests use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRuntime } from './memory-runtime.ts';
import { runtimeContract } from './runtime-contract.ts';
import { assertRejectsWith } from './store-fixtures.ts';

const RUNS_NOTHING = 'the memory runtime runs no commands: a script decides their exit and output';

runtimeContract(
  'memory',
  async () => {
    const runtime = new MemoryRuntime();
    return {
      runtime,
      restart: () => runtime.restarted(),
      traces: async (ref) =>
        (await runtime.list()).some((r) => r.namespace === ref.namespace && r.name === ref.name)
          ? [`sandbox ${ref.namespace}/${ref.name}`]
          : [],
      cleanup: async () => {
        for (const ref of await runtime.list()) await runtime.destroy(ref);
      },
    };
  },
  {
    skip: {
      exec: RUNS_NOTHING,
      ports: 'the memory runtime has no network',
      'lists background processes and replays their output from the start on attach': RUNS_NOTHING,
      'a background process can reopen its output: /dev/stdout, /dev/stderr': RUNS_NOTHING,
      'paused processes make no progress and go on where they were after resume': RUNS_NOTHING,
    },
  },
);

describe('memory runtime claims (claims: true)', () => {
  const entry = { namespace: 'paddock-warm', name: 'w-abc-1', uid: 'entry-uid' };
  const claimant = { namespace: 'team', name: 'box', uid: 'box-uid' };
  const template = { kind: 'SandboxTemplate' as const, name: 'shell', namespace: 'team', uid: 't' };

  it('has no claim by default, as the local runtime', () => {
    assert.equal(new MemoryRuntime().claim, undefined);
  });

  it("moves a warm entry to its claimant's namespace and uid, once", async () => {
    const runtime = new MemoryRuntime({ claims: true });
    await runtime.provision({ ...entry, spec: {}, warmPool: { template } });
    assert.deepEqual(runtime.warmTemplates.get('paddock-warm/w-abc-1'), template);
    const claim = runtime.claim;
    assert.ok(claim !== undefined);
    const claimed = await claim(entry, claimant);
    assert.deepEqual(claimed, { namespace: 'team', name: 'w-abc-1', uid: 'box-uid' });
    assert.deepEqual(await runtime.list(), [claimed]);
    assert.equal(runtime.hostnameOf(claimed), 'box');
    assert.equal((await runtime.observe(entry)).state, 'absent');
    await assertRejectsWith(claim(entry, claimant), 'sandbox_not_found');
    assert.equal((await runtime.restarted().observe(claimed)).state, 'running');
  });
});
