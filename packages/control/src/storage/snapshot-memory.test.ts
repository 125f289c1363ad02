// A SandboxSnapshot of a gVisor sandbox end to end: the controllers on the real SQLite store and
// the real local runtime with runsc. The snapshot's status says it holds memory and how large
// the image is; a sandbox made from it goes on with the source's main process; retention
// deletes it with its image.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AnyResource, isPaddockError, Role, type Sandbox } from '@paddock/core';
import { createLocalRuntime, type LocalRuntime } from '@paddock/runtime-local';
import { openSqliteStore, type SqliteStore } from '@paddock/store-sqlite';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { admitWrite, type WriteAdmissionDeps, withOwner } from '../access/write-admission.ts';
import { type Principal, PrincipalVia } from '../auth/principal.ts';
import { MemoryEventRecorder } from '../event-recorder.ts';
import { runToCompletion } from '../run-to-completion.ts';
import { runtimeRefOf } from '../runtime-ref.ts';
import { type SandboxController, startSandboxController } from '../sandbox-controller.ts';
import { withSandboxFinalizer } from '../sandbox-reconciler.ts';
import { templateManifest } from '../test-harness.ts';

const v = 'paddock.dev/v1alpha1';
const alice: Principal = { id: 'alice', roles: [Role.User], via: PrincipalVia.ApiKey };
const meta = (name: string) => ({ name, namespace: 'default' });

function skipReason(): string | false {
  const bwrap = bwrapSkipReason();
  if (bwrap) return bwrap;
  if (process.getuid?.() !== 0) return 'gVisor sandboxes need the runtime to run as root';
  const hasRunsc = ['/usr/bin/runsc', '/usr/local/bin/runsc'].some((path) => existsSync(path));
  return hasRunsc ? false : 'runsc (gVisor) is not installed';
}

/** Counts in a shell variable (memory only): the main process of the template. */
const COUNTER = 'i=0; while :; do i=$((i + 1)); echo "$i" > /tmp/n; sleep 0.05; done';

describe('snapshots with memory through the controllers', { skip: skipReason() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-snapmem-'));
  let clock = Date.now();
  let store: SqliteStore;
  let runtime: LocalRuntime;
  let controller: SandboxController;
  const deps = (): WriteAdmissionDeps => ({
    store,
    credentials: { list: async () => [] },
    spentToday: async () => ({ userSpentTodayUsd: 0, namespaceSpentTodayUsd: 0 }),
  });
  const create = async (resource: AnyResource) => {
    const owned = withSandboxFinalizer(withOwner(alice, resource));
    await admitWrite(deps(), alice, owned);
    return store.create(owned);
  };
  const ready = <K extends 'Sandbox' | 'SandboxSnapshot'>(kind: K, name: string) =>
    eventually(
      async () => {
        const object = await store.get(kind, { namespace: 'default', name });
        const phase = object.status?.phase;
        return phase === 'Running' || phase === 'Ready' ? object : undefined;
      },
      { what: `${kind} ${name} ready`, timeoutMs: 30_000 },
    );
  const count = async (name: string) => {
    const s = (await store.get('Sandbox', { namespace: 'default', name })) as Sandbox;
    const done = await runToCompletion(runtime, runtimeRefOf(s), { command: ['cat', '/tmp/n'] });
    return Number(done.stdout);
  };

  before(async () => {
    store = await openSqliteStore({ path: join(dir, 'paddock.db') });
    runtime = createLocalRuntime({ root: join(dir, 'sandboxes') });
    await store.create(
      templateManifest('counter', { isolation: 'gvisor', command: ['sh', '-c', COUNTER] }),
    );
    controller = await startSandboxController({
      store,
      runtime,
      events: new MemoryEventRecorder(),
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

  it('says the snapshot holds memory and its size; a sandbox from it counts on; ttl deletes it', async () => {
    const sandbox = (name: string, spec: Record<string, unknown> = {}) =>
      ({
        apiVersion: v,
        kind: 'Sandbox',
        metadata: meta(name),
        spec: { templateRef: { name: 'counter' }, desiredState: 'Running', ...spec },
      }) as AnyResource;
    await create(sandbox('origin'));
    await ready('Sandbox', 'origin');
    await eventually(async () => ((await count('origin')) > 5 ? true : undefined), {
      what: 'the count runs',
    });
    await create({
      apiVersion: v,
      kind: 'SandboxSnapshot',
      metadata: meta('warm'),
      spec: { sandboxRef: { name: 'origin' }, retention: { ttl: '1h' } },
    } as AnyResource);
    const snapshot = await ready('SandboxSnapshot', 'warm');
    assert.deepEqual(snapshot.status?.contents, ['workspace', 'memory']);
    assert.equal(snapshot.status?.memoryNote, undefined);
    const memoryBytes = snapshot.status?.memoryBytes ?? 0;
    assert.ok(memoryBytes > 0, 'the image size');
    assert.ok((snapshot.status?.sizeBytes ?? 0) >= memoryBytes);
    assert.match(snapshot.status?.message ?? '', /workspace and memory copied/);

    await create(sandbox('copy', { fromSnapshot: { name: 'warm' } }));
    await ready('Sandbox', 'copy');
    const mainOf = async (name: string) => {
      const s = (await store.get('Sandbox', { namespace: 'default', name })) as Sandbox;
      const running = (await runtime.listProcesses(runtimeRefOf(s))).filter((p) => p.running);
      assert.equal(running.length, 1, `${name}: one main process, not two`);
      return running[0];
    };
    // The main process the image holds goes on in the copy: the same process, not a new start.
    assert.equal((await mainOf('copy'))?.startedAt, (await mainOf('origin'))?.startedAt);
    const first = await count('copy');
    await eventually(async () => ((await count('copy')) > first ? true : undefined), {
      what: 'the copy counts on',
    });

    clock += 2 * 60 * 60 * 1000;
    await store.update({ ...snapshot, metadata: { ...snapshot.metadata, labels: { poke: 'x' } } });
    await eventually(
      async () => {
        try {
          await store.get('SandboxSnapshot', { namespace: 'default', name: 'warm' });
          return undefined;
        } catch (error) {
          return isPaddockError(error, 'not_found') ? true : undefined;
        }
      },
      { what: 'the snapshot deleted past its ttl', timeoutMs: 20_000 },
    );
    assert.ok(!(await runtime.snapshots.list()).some((ref) => ref.name === 'warm'));
    assert.ok(!existsSync(join(dir, 'sandboxes', '.snapshots', 'default', 'warm')), 'its image');
  });
});
