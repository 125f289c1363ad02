import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { eventually } from '@paddock/testkit';
import { runToCompletion } from './run-to-completion.ts';
import {
  reconcileSandbox,
  SANDBOX_FINALIZER,
  START_REQUESTED_ANNOTATION,
  withSandboxFinalizer,
} from './sandbox-reconciler.ts';
import { CREATING_AFTER_MS } from './sandbox-start.ts';
import { createHarness, type Harness, sandboxManifest, templateManifest } from './test-harness.ts';

const clusterPolicy = (spec: Record<string, unknown>) =>
  ({
    apiVersion: 'paddock.dev/v1alpha1',
    kind: 'ClusterPolicy',
    metadata: { name: 'default' },
    spec,
  }) as const;

describe('sandbox reconciler', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
    await h.apply(
      templateManifest('shell', {
        resources: { cpu: '500m', memory: '256Mi' },
        timeout: '1h',
        idleTimeout: '10m',
        files: [{ path: '/workspace/README', content: 'hello' }],
        init: [{ name: 'setup', command: ['sh', '-c', 'echo ready'] }],
        overridable: ['env', 'timeout'],
      }),
    );
  });
  afterEach(() => h.close());

  it('admits, provisions in order and runs a sandbox, recording why at each step', async () => {
    await h.apply(sandboxManifest('a', { overrides: { env: [{ name: 'X', value: '1' }] } }));
    h.advance(1000);
    // The sandbox takes 250 ms to start, from its admission on.
    const provision = h.runtime.provision.bind(h.runtime);
    h.runtime.provision = async (request) => {
      h.advance(250);
      return provision(request);
    };
    const s = await h.settle('a');
    assert.equal(s.status?.phase, 'Running');
    assert.deepEqual(s.metadata.finalizers, [SANDBOX_FINALIZER]);
    assert.equal(s.status?.resolved?.resources?.cpu, '500m');
    assert.deepEqual(s.status?.resolved?.env, [{ name: 'X', value: '1' }]);
    assert.equal(s.status?.origins?.['env.X'], 'Sandbox/a');
    assert.equal(s.status?.startupDurationMs, 250, 'from admission to ready');
    assert.equal(s.status?.expiresAt, '2026-01-01T01:00:01.250Z');
    assert.equal(s.status?.observedGeneration, 1);
    assert.deepEqual(
      h.runtime.calls.filter((c) => !c.startsWith('stop')),
      [
        'provision default/a',
        'write default/a /workspace/README',
        'exec default/a sh -c echo ready',
      ],
    );
    const reasons = h.events.list({ name: 'a' }).map((e) => e.reason);
    assert.deepEqual(reasons, ['Admitted', 'ProvisionStep', 'ProvisionStep', 'Provisioned']);
    const ready = s.status?.conditions.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
  });

  it('writes one status for a start that is soon over: Pending straight to Running', async () => {
    await h.apply(templateManifest('quick', { timeout: '1h' }));
    const created = await h.store.create(
      withSandboxFinalizer(sandboxManifest('q', { templateRef: { name: 'quick' } })),
    );
    await reconcileSandbox(h, { namespace: 'default', name: 'q' });
    const s = await h.store.get('Sandbox', { namespace: 'default', name: 'q' });
    assert.equal(s.status?.phase, 'Running');
    assert.equal(Number(s.metadata.resourceVersion), Number(created.metadata.resourceVersion) + 1);
    assert.equal(s.status?.resolved?.timeout, '1h', 'the admission recorded with readiness');
    assert.deepEqual(
      h.events.list({ name: 'q' }).map((e) => e.reason),
      ['Admitted', 'Provisioned'],
    );
  });

  it(`says Creating while a start takes longer than ${CREATING_AFTER_MS} ms`, async () => {
    await h.apply(templateManifest('quick'));
    await h.store.create(
      withSandboxFinalizer(sandboxManifest('slow', { templateRef: { name: 'quick' } })),
    );
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const provision = h.runtime.provision.bind(h.runtime);
    h.runtime.provision = async (request) => {
      await held;
      return provision(request);
    };
    const pass = reconcileSandbox(h, { namespace: 'default', name: 'slow' });
    const phase = async () =>
      (await h.store.get('Sandbox', { namespace: 'default', name: 'slow' })).status?.phase;
    await eventually(async () => (await phase()) === 'Creating', {
      what: 'the held sandbox Creating',
      intervalMs: 20,
    });
    release();
    await pass;
    assert.equal(await phase(), 'Running');
  });

  it('ends a Sandbox created Stopped stopped, its command never run', async () => {
    await h.apply(templateManifest('served', { command: ['sleep', '600'] }));
    await h.store.create(
      withSandboxFinalizer(
        sandboxManifest('later', { templateRef: { name: 'served' }, desiredState: 'Stopped' }),
      ),
    );
    const s = await h.settle('later');
    assert.equal(s.status?.phase, 'Stopped');
    assert.deepEqual(
      h.runtime.calls.filter((c) => c.startsWith('exec')),
      [],
      'the main command not started',
    );
  });

  it('needs no write of its own for the finalizer of a Sandbox created with it', async () => {
    const created = await h.store.create(withSandboxFinalizer(sandboxManifest('pre')));
    assert.deepEqual(created.metadata.finalizers, [SANDBOX_FINALIZER]);
    assert.deepEqual(withSandboxFinalizer(created), created, 'added once');
    const before = Number(created.metadata.resourceVersion);
    await reconcileSandbox(h, { namespace: 'default', name: 'pre' });
    const after = await h.store.get('Sandbox', { namespace: 'default', name: 'pre' });
    // Without the finalizer at create, the first pass writes it first: one version more.
    const plain = await h.store.create(sandboxManifest('plain'));
    await reconcileSandbox(h, { namespace: 'default', name: 'plain' });
    const plainAfter = await h.store.get('Sandbox', { namespace: 'default', name: 'plain' });
    assert.ok(
      Number(after.metadata.resourceVersion) - before <
        Number(plainAfter.metadata.resourceVersion) - Number(plain.metadata.resourceVersion),
    );
  });

  it('rejects a sandbox whose template is missing, naming it', async () => {
    await h.apply(sandboxManifest('b', { templateRef: { name: 'nope' } }));
    const s = await h.settle('b');
    assert.equal(s.status?.phase, 'Error');
    assert.match(s.status?.message ?? '', /nope/);
    assert.equal(h.runtime.calls.length, 0);
  });

  it('rejects every policy violation and refused override at once, touching no runtime', async () => {
    await h.apply(clusterPolicy({ resources: { maxCpu: '250m' }, maxTimeout: '30m' }));
    await h.apply(sandboxManifest('c', { overrides: { resources: { memory: '1Gi' } } }));
    const s = await h.settle('c');
    assert.equal(s.status?.phase, 'Error');
    assert.equal(s.status?.reason, 'PolicyViolation');
    for (const code of ['override_not_allowed', 'cpu_limit_exceeded', 'timeout_exceeded']) {
      assert.match(s.status?.message ?? '', new RegExp(code));
    }
    assert.deepEqual(h.runtime.calls, []);
  });

  it('counts existing sandboxes against the namespace quota', async () => {
    await h.apply(clusterPolicy({ sandboxes: { maxPerNamespace: 1 } }));
    await h.apply(sandboxManifest('q1'));
    assert.equal((await h.settle('q1')).status?.phase, 'Running');
    await h.apply(sandboxManifest('q2'));
    const s = await h.settle('q2');
    assert.equal(s.status?.phase, 'Error');
    assert.match(s.status?.message ?? '', /namespace_quota_exceeded/);
  });

  it('puts a sandbox in Error with the failing step, its exit code and output', async () => {
    h.runtime.setScript((_, req) =>
      req.command.includes('echo ready')
        ? { exitCode: 3, stderr: 'pip: no network' }
        : { exitCode: 0 },
    );
    await h.apply(sandboxManifest('d'));
    const s = await h.settle('d');
    assert.equal(s.status?.phase, 'Error');
    assert.deepEqual(s.status?.provisionFailure, {
      step: 'init setup',
      exitCode: 3,
      output: 'pip: no network',
    });
  });

  it('stops and starts with desiredState, keeping the runtime sandbox', async () => {
    await h.apply(sandboxManifest('e'));
    let s = await h.settle('e');
    await h.store.update({ ...s, spec: { ...s.spec, desiredState: 'Stopped' } });
    s = await h.settle('e');
    assert.equal(s.status?.phase, 'Stopped');
    assert.equal(s.status?.reason, 'StoppedByUser');
    assert.equal(
      (await h.runtime.observe({ namespace: 'default', name: 'e', uid: s.metadata.uid ?? '' }))
        .state,
      'stopped',
    );
    await h.store.update({ ...s, spec: { ...s.spec, desiredState: 'Running' } });
    s = await h.settle('e');
    assert.equal(s.status?.phase, 'Running');
    assert.equal(h.runtime.calls.filter((c) => c.startsWith('provision')).length, 1);
  });

  it('stops a sandbox at its wall-clock timeout and only restarts it when asked', async () => {
    await h.apply(sandboxManifest('f', { overrides: { timeout: '5m' } }));
    let s = await h.settle('f');
    const result = await reconcileSandbox(h, { namespace: 'default', name: 'f' });
    assert.equal(result.requeueAfterMs, 5 * 60_000, 'asks to be looked at when it expires');
    h.advance(5 * 60_000);
    s = await h.settle('f');
    assert.equal(s.status?.phase, 'Stopped');
    assert.equal(s.status?.reason, 'TimedOut');
    s = await h.settle('f');
    assert.equal(s.status?.phase, 'Stopped', 'a timed-out sandbox stays stopped');
    h.advance(1000);
    await h.store.update({
      ...s,
      metadata: {
        ...s.metadata,
        annotations: {
          [START_REQUESTED_ANNOTATION]: new Date(
            Date.parse(s.status?.stoppedAt ?? '') + 1,
          ).toISOString(),
        },
      },
    });
    s = await h.settle('f');
    assert.equal(s.status?.phase, 'Running');
  });

  it('stops a sandbox at its shutdownTime, which an update moves, before its template timeout', async () => {
    const at = (ms: number) => new Date(h.now().getTime() + ms).toISOString();
    await h.apply(sandboxManifest('st', { shutdownTime: at(2 * 60_000) }));
    let s = await h.settle('st');
    const result = await reconcileSandbox(h, { namespace: 'default', name: 'st' });
    assert.equal(
      result.requeueAfterMs,
      2 * 60_000,
      'the shutdown time comes before the 1h timeout',
    );
    await h.store.update({ ...s, spec: { ...s.spec, shutdownTime: at(3 * 60_000) } });
    h.advance(2 * 60_000);
    s = await h.settle('st');
    assert.equal(s.status?.phase, 'Running', 'the moved shutdown time has not come');
    h.advance(60_000);
    s = await h.settle('st');
    assert.equal(s.status?.phase, 'Stopped');
    assert.equal(s.status?.reason, 'TimedOut');
  });

  it('deletes a sandbox at its shutdownTime when its shutdownPolicy says Delete', async () => {
    const shutdownTime = new Date(h.now().getTime() + 60_000).toISOString();
    await h.apply(sandboxManifest('sd', { shutdownTime, shutdownPolicy: 'Delete' }));
    const s = await h.settle('sd');
    assert.equal(s.status?.phase, 'Running');
    h.advance(60_000);
    const deleting = await h.settle('sd');
    assert.ok(deleting.metadata.deletionTimestamp, 'deleted at its shutdown time');
    await h.settle('sd').catch(() => undefined); // the finalizer: the runtime lets it go
    await assert.rejects(
      h.store.get('Sandbox', { namespace: 'default', name: 'sd' }),
      (e: unknown) => isPaddockError(e, 'not_found'),
    );
    assert.ok(
      h.runtime.calls.includes(`destroy default/sd`),
      `the runtime destroyed it: ${h.runtime.calls.join(', ')}`,
    );
  });

  it('pauses an idle sandbox after its idle timeout, warning a minute before, and wakes it on request', async () => {
    await h.apply(sandboxManifest('g'));
    await h.settle('g');
    const first = await reconcileSandbox(h, { namespace: 'default', name: 'g' });
    assert.equal(first.requeueAfterMs, 9 * 60_000, 'looked at again when the warning is due');
    h.advance(9 * 60_000);
    let s = await h.settle('g');
    assert.equal(s.status?.phase, 'Running');
    const warnings = () => h.events.list({ name: 'g' }).filter((e) => e.reason === 'IdleSoon');
    assert.equal(warnings().length, 1);
    assert.equal(warnings()[0]?.type, 'Warning');
    assert.match(warnings()[0]?.message ?? '', /pauses in 60s/);
    const again = await reconcileSandbox(h, { namespace: 'default', name: 'g' });
    assert.equal(again.requeueAfterMs, 60_000, 'then when it expires');
    assert.equal(warnings().length, 1, 'one warning per idle spell');
    h.advance(60_000);
    s = await h.settle('g');
    assert.equal(s.status?.phase, 'Paused');
    assert.equal(s.status?.reason, 'IdlePaused');
    assert.equal(s.status?.pauseMechanism, 'in-memory');
    assert.equal(s.spec.desiredState, 'Running', 'the controller never writes spec');
    s = await h.settle('g');
    assert.equal(s.status?.phase, 'Paused', 'an idle-paused sandbox waits for a wake');
    h.advance(1000);
    await h.store.update({
      ...s,
      metadata: {
        ...s.metadata,
        annotations: { [START_REQUESTED_ANNOTATION]: h.now().toISOString() },
      },
    });
    s = await h.settle('g');
    assert.equal(s.status?.phase, 'Running');
    assert.equal(s.status?.lastActivityAt, h.now().toISOString(), 'the idle clock starts again');
    assert.deepEqual(
      h.runtime.calls.filter((c) => /^(pause|resume|stop) /.test(c)),
      ['pause default/g', 'resume default/g'],
    );
  });

  it('writes exec activity into the status once it is a second newer than the status says', async () => {
    await h.apply(sandboxManifest('act'));
    let s = await h.settle('act');
    const ready = s.status?.lastActivityAt;
    const ref = { namespace: 'default', name: 'act', uid: s.metadata.uid ?? '' };
    const key = { namespace: 'default', name: 'act' };
    h.advance(999);
    await runToCompletion(h.runtime, ref, { command: ['true'] });
    await reconcileSandbox(h, key);
    s = await h.store.get('Sandbox', key);
    assert.equal(s.status?.lastActivityAt, ready, 'no commit for an exec within the second');
    h.advance(1);
    await runToCompletion(h.runtime, ref, { command: ['true'] });
    await reconcileSandbox(h, key);
    s = await h.store.get('Sandbox', key);
    assert.equal(s.status?.lastActivityAt, h.now().toISOString());
  });

  it('stops an idle sandbox whose template says idleAction Stop', async () => {
    await h.apply(templateManifest('stopper', { idleTimeout: '10m', idleAction: 'Stop' }));
    await h.apply(sandboxManifest('gs', { templateRef: { name: 'stopper' } }));
    await h.settle('gs');
    h.advance(10 * 60_000 - 1);
    assert.equal((await h.settle('gs')).status?.phase, 'Running');
    h.advance(1);
    const s = await h.settle('gs');
    assert.equal(s.status?.phase, 'Stopped');
    assert.equal(s.status?.reason, 'IdleTimedOut');
  });

  it('pauses and resumes with desiredState, keeping its processes', async () => {
    await h.apply(sandboxManifest('p'));
    let s = await h.settle('p');
    const ref = { namespace: 'default', name: 'p', uid: s.metadata.uid ?? '' };
    await h.runtime.exec(ref, { command: ['sleep', '600'], background: true, processId: 'keeper' });
    await h.store.update({ ...s, spec: { ...s.spec, desiredState: 'Paused' } });
    s = await h.settle('p');
    assert.equal(s.status?.phase, 'Paused');
    assert.equal(s.status?.reason, 'PausedByUser');
    assert.equal(s.status?.pausedAt, h.now().toISOString());
    assert.equal((await h.runtime.observe(ref)).state, 'paused');
    assert.equal(s.status?.conditions.find((c) => c.type === 'Ready')?.status, 'False');
    await h.store.update({ ...s, spec: { ...s.spec, desiredState: 'Running' } });
    s = await h.settle('p');
    assert.equal(s.status?.phase, 'Running');
    assert.equal((await h.runtime.listProcesses(ref))[0]?.running, true, 'no restart');
    const reasons = h.events.list({ name: 'p' }).map((e) => e.reason);
    assert.deepEqual(reasons.slice(-4), ['PauseRequested', 'Paused', 'ResumeRequested', 'Resumed']);
    await h.store.update({ ...s, spec: { ...s.spec, desiredState: 'Paused' } });
    s = await h.settle('p');
    await h.store.update({ ...s, spec: { ...s.spec, desiredState: 'Stopped' } });
    s = await h.settle('p');
    assert.equal(s.status?.phase, 'Stopped', 'a paused sandbox stops when asked');
    assert.equal((await h.runtime.listProcesses(ref))[0]?.running, false);
  });

  it('brings back a sandbox whose processes died while it should run (crash, reboot)', async () => {
    await h.apply(sandboxManifest('r'));
    const s = await h.settle('r');
    h.runtime.crash({ namespace: 'default', name: 'r', uid: s.metadata.uid ?? '' });
    const after = await h.settle('r');
    assert.equal(after.status?.phase, 'Running');
    assert.ok(h.events.list({ name: 'r' }).some((e) => e.reason === 'Restarted'));
    assert.equal(
      (await h.runtime.observe({ namespace: 'default', name: 'r', uid: s.metadata.uid ?? '' }))
        .state,
      'running',
    );
  });

  it('starts a sandbox whose provision a crash cut short, made but never started', async () => {
    await h.apply(sandboxManifest('cut'));
    const provision = h.runtime.provision.bind(h.runtime);
    h.runtime.provision = async (request) => {
      h.runtime.provision = provision;
      await provision(request);
      h.runtime.crash(request);
      throw new Error('the server died mid-provision');
    };
    await assert.rejects(reconcileSandbox(h, { namespace: 'default', name: 'cut' }));
    const s = await h.settle('cut');
    assert.equal(s.status?.phase, 'Running');
    const ref = { namespace: 'default', name: 'cut', uid: s.metadata.uid ?? '' };
    assert.equal((await h.runtime.observe(ref)).state, 'running', 'running when it says so');
  });

  it('marks a sandbox lost when the runtime no longer has it', async () => {
    await h.apply(sandboxManifest('l'));
    const s = await h.settle('l');
    await h.runtime.destroy({ namespace: 'default', name: 'l', uid: s.metadata.uid ?? '' });
    assert.equal((await h.settle('l')).status?.phase, 'Error');
  });

  it('stops the sandbox when its main process exits, recording the exit code', async () => {
    await h.apply(templateManifest('server', { command: ['python3', '-m', 'http.server'] }));
    await h.apply(sandboxManifest('m', { templateRef: { name: 'server' } }));
    const s = await h.settle('m');
    const ref = { namespace: 'default', name: 'm', uid: s.metadata.uid ?? '' };
    assert.deepEqual(
      (await h.runtime.listProcesses(ref)).map((p) => p.id),
      ['main'],
    );
    h.runtime.exitProcess(ref, 'main', 2);
    const after = await h.settle('m');
    assert.equal(after.status?.phase, 'Stopped');
    assert.equal(after.status?.exitCode, 2);
  });

  it('deletes through its finalizer: runtime destroyed first, then the object is gone', async () => {
    await h.apply(sandboxManifest('z'));
    await h.settle('z');
    const deleted = await h.store.delete('Sandbox', { namespace: 'default', name: 'z' });
    assert.equal(deleted.status, 'terminating');
    await reconcileSandbox(h, { namespace: 'default', name: 'z' });
    await assert.rejects(h.store.get('Sandbox', { namespace: 'default', name: 'z' }), (e) =>
      isPaddockError(e, 'not_found'),
    );
    assert.ok(h.runtime.calls.includes('destroy default/z'));
    assert.deepEqual(await h.runtime.list(), []);
    assert.deepEqual(
      await reconcileSandbox(h, { namespace: 'default', name: 'z' }),
      {},
      'idempotent once gone',
    );
  });
});
