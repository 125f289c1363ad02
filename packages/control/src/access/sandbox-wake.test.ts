import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore, type SqliteStore } from '@paddock/store-sqlite';
import { eventually, MemoryRuntime } from '@paddock/testkit';
import { ANONYMOUS_ADMIN, type Principal } from '../auth/principal.ts';
import { MemoryEventRecorder } from '../event-recorder.ts';
import { type SandboxController, startSandboxController } from '../sandbox-controller.ts';
import { sandboxManifest, templateManifest } from '../test-harness.ts';
import { readySandbox, readyWorkspace } from './sandbox-wake.ts';

const at = (name: string) => ({ namespace: 'default', name });

describe('readySandbox: waking a sleeping sandbox for a request', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-wake-'));
  let store: SqliteStore;
  let controller: SandboxController;
  const runtime = new MemoryRuntime();
  const stranger: Principal = { ...ANONYMOUS_ADMIN, id: 'mallory', roles: [] };

  const reached = (name: string, phase: string, reason?: string) =>
    eventually(
      async () => {
        const s = await store.get('Sandbox', at(name));
        assert.equal(s.status?.phase, phase, JSON.stringify(s.status));
        if (reason !== undefined) assert.equal(s.status?.reason, reason);
        return s;
      },
      { what: `sandbox ${name} ${phase}`, intervalMs: 5 },
    );

  before(async () => {
    store = await openSqliteStore({ path: join(dir, 'paddock.db') });
    await store.create(templateManifest('shell'));
    await store.create(templateManifest('nap', { idleTimeout: '300ms' }));
    await store.create(templateManifest('doze', { idleTimeout: '300ms', idleAction: 'Stop' }));
    controller = await startSandboxController({
      store,
      runtime,
      events: new MemoryEventRecorder(),
      resyncMs: 60_000,
    });
  });
  after(async () => {
    await controller.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [template, phase, reason] of [
    ['nap', 'Paused', 'IdlePaused'],
    ['doze', 'Stopped', 'IdleTimedOut'],
  ] as const) {
    it(`wakes a sandbox its idle timeout left ${phase} and answers once it runs`, async () => {
      const name = `${template}-a`;
      await store.create(sandboxManifest(name, { templateRef: { name: template } }));
      await reached(name, phase, reason);
      const { sandbox, ref } = await readySandbox(store, ANONYMOUS_ADMIN, at(name));
      assert.equal(sandbox.status?.phase, 'Running');
      assert.equal((await runtime.observe(ref)).state, 'running');
      assert.equal(sandbox.spec.desiredState, 'Running');
    });
  }

  it('leaves a sandbox paused on purpose paused, unless autoResume is asked by who may manage it', async () => {
    await store.create(sandboxManifest('held'));
    const running = await reached('held', 'Running');
    await store.update({ ...running, spec: { ...running.spec, desiredState: 'Paused' } });
    await reached('held', 'Paused', 'PausedByUser');
    await assert.rejects(readySandbox(store, ANONYMOUS_ADMIN, at('held')), {
      code: 'sandbox_paused',
    });
    await assert.rejects(
      readySandbox(store, stranger, at('held'), { autoResume: true }),
      { code: 'not_found' },
      'a caller who may not see it learns nothing',
    );
    const { sandbox } = await readySandbox(store, ANONYMOUS_ADMIN, at('held'), {
      autoResume: true,
    });
    assert.equal(sandbox.status?.phase, 'Running');
    assert.equal(sandbox.spec.desiredState, 'Running');
  });

  for (const [template, phase] of [
    ['nap', 'Paused'],
    ['doze', 'Stopped'],
  ] as const) {
    it(`wakes a sandbox its idle timeout left ${phase} for its files too`, async () => {
      const name = `${template}-files`;
      await store.create(sandboxManifest(name, { templateRef: { name: template } }));
      await reached(name, phase);
      const { sandbox, ref } = await readyWorkspace(store, ANONYMOUS_ADMIN, at(name));
      assert.equal(sandbox.status?.phase, 'Running');
      assert.equal((await runtime.observe(ref)).state, 'running');
    });
  }

  it('serves the files of a sandbox stopped on purpose without starting it', async () => {
    await store.create(sandboxManifest('shelved'));
    const running = await reached('shelved', 'Running');
    await store.update({ ...running, spec: { ...running.spec, desiredState: 'Stopped' } });
    await reached('shelved', 'Stopped', 'StoppedByUser');
    const { sandbox, ref } = await readyWorkspace(store, ANONYMOUS_ADMIN, at('shelved'));
    assert.equal(sandbox.status?.phase, 'Stopped');
    assert.equal((await runtime.observe(ref)).state, 'stopped');
    assert.equal((await store.get('Sandbox', at('shelved'))).spec.desiredState, 'Stopped');
  });
});
