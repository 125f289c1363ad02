// Snapshots, forks and volumes end to end: the controllers on the real SQLite store and the real
// bubblewrap runtime, admission with the callers' rights.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AnyResource, isPaddockError, Role, type Sandbox } from '@paddock/core';
import { createLocalRuntime, type LocalRuntime } from '@paddock/runtime-local';
import { openSqliteStore, type SqliteStore } from '@paddock/store-sqlite';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { admitDelete } from '../access/delete-admission.ts';
import { admitWrite, type WriteAdmissionDeps, withOwner } from '../access/write-admission.ts';
import { type Principal, PrincipalVia } from '../auth/principal.ts';
import { MemoryEventRecorder } from '../event-recorder.ts';
import { runToCompletion } from '../run-to-completion.ts';
import { runtimeRefOf } from '../runtime-ref.ts';
import { type SandboxController, startSandboxController } from '../sandbox-controller.ts';
import { withSandboxFinalizer } from '../sandbox-reconciler.ts';
import { templateManifest } from '../test-harness.ts';

const v = 'paddock.dev/v1alpha1';
const user = (id: string): Principal => ({ id, roles: [Role.User], via: PrincipalVia.ApiKey });
const alice = user('alice');
const bob = user('bob');
const meta = (name: string) => ({ name, namespace: 'default' });

const sandbox = (name: string, spec: Record<string, unknown> = {}): AnyResource =>
  ({
    apiVersion: v,
    kind: 'Sandbox',
    metadata: meta(name),
    spec: { templateRef: { name: 'shell' }, desiredState: 'Running', ...spec },
  }) as AnyResource;
const snapshot = (name: string, of: string, retention?: Record<string, unknown>): AnyResource =>
  ({
    apiVersion: v,
    kind: 'SandboxSnapshot',
    metadata: meta(name),
    spec: { sandboxRef: { name: of }, ...(retention ? { retention } : {}) },
  }) as AnyResource;
const volume = (name: string, size?: string): AnyResource =>
  ({
    apiVersion: v,
    kind: 'Volume',
    metadata: meta(name),
    spec: size ? { size } : {},
  }) as AnyResource;

describe('snapshots, forks and volumes on the local engine', { skip: bwrapSkipReason() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-storage-'));
  let clock = Date.now();
  let store: SqliteStore;
  let runtime: LocalRuntime;
  let controller: SandboxController;
  const events = new MemoryEventRecorder();
  const deps = (): WriteAdmissionDeps => ({
    store,
    credentials: { list: async () => [] },
    spentToday: async () => ({ userSpentTodayUsd: 0, namespaceSpentTodayUsd: 0 }),
  });
  /** Creates as the REST API does: owned, admitted with the caller's rights, then stored. */
  const create = async (principal: Principal, resource: AnyResource) => {
    const owned = withSandboxFinalizer(withOwner(principal, resource));
    await admitWrite(deps(), principal, owned);
    return store.create(owned);
  };
  const phaseOf = async <K extends 'Sandbox' | 'SandboxSnapshot' | 'Volume'>(
    kind: K,
    name: string,
  ) =>
    eventually(
      async () => {
        const object = await store.get(kind, { namespace: 'default', name });
        const phase = object.status?.phase;
        return phase === 'Running' || phase === 'Ready' || phase === 'Available'
          ? object
          : undefined;
      },
      { what: `${kind} ${name} ready`, timeoutMs: 20_000 },
    );
  const sh = async (name: string, script: string) => {
    const s = (await store.get('Sandbox', { namespace: 'default', name })) as Sandbox;
    return runToCompletion(runtime, runtimeRefOf(s), { command: ['sh', '-c', script] });
  };
  const gone = (kind: 'Sandbox' | 'SandboxSnapshot' | 'Volume', name: string) =>
    eventually(
      async () => {
        try {
          await store.get(kind, { namespace: 'default', name });
          return false;
        } catch (error) {
          return isPaddockError(error, 'not_found');
        }
      },
      { what: `${kind} ${name} deleted`, timeoutMs: 20_000 },
    );

  before(async () => {
    store = await openSqliteStore({ path: join(dir, 'paddock.db') });
    runtime = createLocalRuntime({ root: join(dir, 'sandboxes') });
    await store.create(templateManifest('shell', { overridable: ['env'] }));
    controller = await startSandboxController({
      store,
      runtime,
      events,
      now: () => new Date(clock),
    });
  });
  after(async () => {
    await controller.stop();
    for (const ref of await runtime.list()) await runtime.destroy(ref);
    for (const ref of await runtime.snapshots.list()) await runtime.snapshots.remove(ref);
    await runtime.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forks a sandbox into copies that diverge, and the snapshot outlives its sandbox', async () => {
    await create(alice, sandbox('origin'));
    await phaseOf('Sandbox', 'origin');
    await sh('origin', 'mkdir -p src && echo v1 > src/app.txt');
    await create(alice, snapshot('origin-1', 'origin'));
    const ready = await phaseOf('SandboxSnapshot', 'origin-1');
    assert.deepEqual(ready.status?.contents, ['workspace']);
    assert.ok((ready.status?.sizeBytes ?? 0) > 0);
    assert.match(ready.status?.memoryNote ?? '', /CRIU/);
    for (const name of ['fork-a', 'fork-b'])
      await create(alice, sandbox(name, { fromSnapshot: { name: 'origin-1' } }));
    for (const name of ['fork-a', 'fork-b']) {
      await phaseOf('Sandbox', name);
      assert.equal((await sh(name, 'cat src/app.txt')).stdout, 'v1\n');
    }
    await sh('fork-a', 'echo a > src/app.txt');
    assert.equal((await sh('fork-b', 'cat src/app.txt')).stdout, 'v1\n');
    assert.equal((await sh('origin', 'cat src/app.txt')).stdout, 'v1\n');
    await store.delete('Sandbox', { namespace: 'default', name: 'origin' });
    await gone('Sandbox', 'origin');
    const kept = await store.get('SandboxSnapshot', { namespace: 'default', name: 'origin-1' });
    assert.equal(kept.status?.phase, 'Ready');
  });

  it('refuses a snapshot or volume of another owner, answering as if it did not exist', async () => {
    await create(bob, volume('bobs'));
    const cases: Array<[AnyResource, string]> = [
      [sandbox('steal-snap', { fromSnapshot: { name: 'origin-1' } }), 'spec.fromSnapshot.name'],
      [
        sandbox('steal-vol', { volumes: [{ name: 'bobs', mountPath: '/data' }] }),
        'spec.volumes[0].name',
      ],
      [snapshot('steal-ws', 'fork-a'), 'spec.sandboxRef.name'],
    ];
    // A volume of another namespace cannot even be named: the reference is read in the sandbox's.
    await create(alice, volume('mine'));
    const elsewhere = sandbox('other-ns', { volumes: [{ name: 'mine', mountPath: '/data' }] });
    await assert.rejects(
      create(alice, { ...elsewhere, metadata: { name: 'other-ns', namespace: 'team-b' } }),
      (e) => isPaddockError(e, 'not_found') && e.details.field === 'spec.volumes[0].name',
    );
    for (const [resource, field] of cases) {
      const principal = resource.metadata.name === 'steal-vol' ? alice : bob;
      await assert.rejects(
        create(principal, resource),
        (e) => isPaddockError(e, 'not_found') && e.details.field === field,
        field,
      );
    }
  });

  it('keeps the newest snapshots of a sandbox (keepLast) and deletes one past its ttl', async () => {
    for (const name of ['keep-1', 'keep-2', 'keep-3']) {
      await create(alice, snapshot(name, 'fork-b', { keepLast: 2 }));
      await phaseOf('SandboxSnapshot', name);
    }
    await gone('SandboxSnapshot', 'keep-1');
    for (const name of ['keep-2', 'keep-3'])
      await store.get('SandboxSnapshot', { namespace: 'default', name });
    await create(alice, snapshot('short', 'fork-b', { ttl: '1h' }));
    const short = await phaseOf('SandboxSnapshot', 'short');
    assert.ok(short.status?.expiresAt);
    clock += 2 * 60 * 60 * 1000;
    await store.update({ ...short, metadata: { ...short.metadata, labels: { poke: 'x' } } });
    await gone('SandboxSnapshot', 'short');
    assert.ok(!(await runtime.snapshots.list()).some((s) => s.name === 'short'));
  });

  it('mounts a volume read-only in one sandbox and read-write in another; refuses its deletion while mounted', async () => {
    await create(alice, volume('cache', '16Mi'));
    const available = await phaseOf('Volume', 'cache');
    const resized = { ...available, spec: { size: '32Mi' } };
    await assert.rejects(
      admitWrite(deps(), alice, resized, available),
      (e) => isPaddockError(e, 'validation_failed') && /spec\.size/.test(e.message),
    );
    await create(alice, sandbox('vol-rw', { volumes: [{ name: 'cache', mountPath: '/cache' }] }));
    await create(
      alice,
      sandbox('vol-ro', { volumes: [{ name: 'cache', mountPath: '/cache', readOnly: true }] }),
    );
    await phaseOf('Sandbox', 'vol-rw');
    await phaseOf('Sandbox', 'vol-ro');
    await sh('vol-rw', 'echo hi > /cache/hello');
    assert.equal((await sh('vol-ro', 'cat /cache/hello')).stdout, 'hi\n');
    assert.notEqual((await sh('vol-ro', 'echo x > /cache/x')).exitCode, 0);
    const listed = await eventually(async () => {
      const v = await store.get('Volume', { namespace: 'default', name: 'cache' });
      return v.status?.mountedBy?.length === 2 && (v.status.usedBytes ?? 0) > 0 ? v : undefined;
    });
    assert.deepEqual(listed.status?.mountedBy, ['vol-ro', 'vol-rw']);
    await assert.rejects(
      admitDelete(store, listed),
      (e) => isPaddockError(e, 'conflict') && /vol-ro, vol-rw/.test(e.message),
    );
    // Deleted past admission (as kubectl could): held by its finalizer until they go.
    await store.delete('Volume', { namespace: 'default', name: 'cache' });
    await eventually(async () => {
      const v = await store.get('Volume', { namespace: 'default', name: 'cache' });
      return v.status?.conditions.some((c) => c.type === 'InUse' && c.status === 'True');
    });
    for (const name of ['vol-rw', 'vol-ro'])
      await store.delete('Sandbox', { namespace: 'default', name });
    await gone('Volume', 'cache');
  });
});
