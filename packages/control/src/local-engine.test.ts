// The engine of one machine end to end: the reconciler on the real SQLite store and the real
// bubblewrap runtime. Survives a control-plane restart and a simulated host reboot.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Sandbox, SandboxRef } from '@paddock/core';
import { createLocalRuntime, type LocalRuntime } from '@paddock/runtime-local';
import { openSqliteStore, type SqliteStore } from '@paddock/store-sqlite';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { AdmissionLedger } from './admission-ledger.ts';
import { MemoryEventRecorder } from './event-recorder.ts';
import { runToCompletion } from './run-to-completion.ts';
import { reconcileSandbox } from './sandbox-reconciler.ts';
import { sandboxManifest, templateManifest } from './test-harness.ts';

describe('local engine: reconciler + SQLite + bubblewrap', {
  skip: bwrapSkipReason(),
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-engine-'));
  const root = join(dir, 'sandboxes');
  let store: SqliteStore;
  let runtime: LocalRuntime;
  const events = new MemoryEventRecorder();
  const admissions = new AdmissionLedger();
  const deps = () => ({ store, runtime, events, now: () => new Date(), admissions });
  const settle = async (name: string): Promise<Sandbox> => {
    for (let i = 0; i < 10; i++) {
      const r = await reconcileSandbox(deps(), { namespace: 'default', name });
      if (r.requeueAfterMs !== 0) break;
    }
    return store.get('Sandbox', { namespace: 'default', name });
  };
  const refOf = (s: Sandbox): SandboxRef => ({
    namespace: 'default',
    name: s.metadata.name ?? '',
    uid: s.metadata.uid ?? '',
  });
  const sh = async (s: Sandbox, script: string) =>
    runToCompletion(runtime, refOf(s), { command: ['sh', '-c', script] });

  before(async () => {
    store = await openSqliteStore({ path: join(dir, 'paddock.db') });
    runtime = createLocalRuntime({ root });
    await store.create(
      templateManifest('shell', {
        resources: { memory: '256Mi', pids: 128 },
        files: [{ path: '/workspace/README', content: 'from the template\n' }],
        init: [{ name: 'greet', command: ['sh', '-c', 'echo init-ran > /workspace/init.txt'] }],
      }),
    );
  });
  after(async () => {
    for (const ref of await runtime.list()) await runtime.destroy(ref);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('provisions a real sandbox: files written, init run, limits applied', async () => {
    await store.create(sandboxManifest('box'));
    const s = await settle('box');
    assert.equal(s.status?.phase, 'Running', s.status?.message);
    assert.ok(s.status?.limits, 'status says which limits mechanism applied');
    const out = await sh(s, 'cat /workspace/README /workspace/init.txt; hostname; id -u');
    assert.equal(out.exitCode, 0, out.stderr);
    assert.deepEqual(out.stdout.trim().split('\n'), [
      'from the template',
      'init-ran',
      'box',
      '1000',
    ]);
  });

  it('a failing init script puts the sandbox in Error with its exit code and output', async () => {
    await store.create(
      templateManifest('broken', {
        init: [{ name: 'fail', command: ['sh', '-c', 'echo no-such-dep >&2; exit 7'] }],
      }),
    );
    await store.create(sandboxManifest('bad', { templateRef: { name: 'broken' } }));
    const s = await settle('bad');
    assert.equal(s.status?.phase, 'Error');
    assert.equal(s.status?.provisionFailure?.exitCode, 7);
    assert.match(s.status?.provisionFailure?.output ?? '', /no-such-dep/);
  });

  it('survives a restart of the managing process without duplicates', async () => {
    const before = await runtime.list();
    const s = await store.get('Sandbox', { namespace: 'default', name: 'box' });
    await sh(
      s,
      'echo kept > /workspace/kept.txt; cp /bin/sleep /tmp/marker; /tmp/marker 300 >/dev/null 2>&1 &',
    );
    runtime = createLocalRuntime({ root });
    const again = await settle('box');
    assert.equal(again.status?.phase, 'Running');
    assert.deepEqual(
      (await runtime.list()).map((r) => r.name).sort(),
      before.map((r) => r.name).sort(),
    );
    const out = await sh(again, 'cat /workspace/kept.txt; pgrep -c -x marker');
    assert.deepEqual(
      out.stdout.trim().split('\n'),
      ['kept', '1'],
      'same sandbox, its background process alive',
    );
  });

  it('comes back after a host reboot with its workspace intact', async () => {
    const s = await store.get('Sandbox', { namespace: 'default', name: 'box' });
    const state = JSON.parse(readFileSync(join(root, 'default', 'box', 'state.json'), 'utf8')) as {
      incarnation: { monitor: { pid: number }; anchor: { pid: number } };
    };
    // A reboot: every process of the sandbox is gone, its files remain.
    for (const pid of [state.incarnation.anchor.pid, state.incarnation.monitor.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await eventually(async () => (await runtime.observe(refOf(s))).state !== 'running', {
      what: 'the sandbox seen down',
    });
    runtime = createLocalRuntime({ root });
    const back = await settle('box');
    assert.equal(back.status?.phase, 'Running');
    assert.ok(events.list({ name: 'box' }).some((e) => e.reason === 'Restarted'));
    const out = await sh(back, 'cat /workspace/kept.txt');
    assert.equal(out.stdout.trim(), 'kept');
  });

  it('deletes the sandbox and all its state', async () => {
    await store.delete('Sandbox', { namespace: 'default', name: 'box' });
    await reconcileSandbox(deps(), { namespace: 'default', name: 'box' });
    await assert.rejects(store.get('Sandbox', { namespace: 'default', name: 'box' }), /not found/);
    assert.ok(!(await runtime.list()).some((r) => r.name === 'box'));
  });
});
