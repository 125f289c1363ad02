// --existing, doctor and sync against the real test API server (CRDs only) with Argo CD's,
// Cilium's and prometheus-operator's upstream CRDs: what it serves is applied server-side and
// accepted; what needs core/v1, apps/v1 or a running Argo CD is skipped with the reason.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { KubeClient } from '@paddock/kube';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { parse } from 'yaml';
import { startArgoCdStandIn } from './argocd-stand-in.ts';
import { checkCluster } from './doctor.ts';
import { bootstrapExisting } from './existing.ts';
import { gitServerObjects } from './git-server.ts';
import { applyServed, FIELD_MANAGER } from './kube-objects.ts';
import { waitForPaddockApplication } from './paddock-rollout.ts';
import { readSession, type Session } from './session.ts';
import type { StepEvent } from './steps.ts';
import { SYNC_OPERATION, syncApplications } from './sync.ts';
import { startUpstreamKube, upstreamSkipReason } from './test-kube.ts';
import { RecordingRunner } from './tool-runner.ts';

const APPS = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications';
type Listed = {
  items: Array<{
    metadata: { name: string; managedFields?: Array<{ manager: string }> };
    spec?: Record<string, unknown>;
  }>;
};

function application(name: string, wave: number) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name,
      namespace: 'argocd',
      annotations: { 'argocd.argoproj.io/sync-wave': String(wave) },
    },
    spec: {
      project: 'paddock',
      source: { repoURL: 'https://example.com/repo.git', path: name, targetRevision: 'HEAD' },
      destination: { server: 'https://kubernetes.default.svc', namespace: name },
    },
  };
}

describe('an existing cluster', { skip: upstreamSkipReason ?? false }, () => {
  const home = mkdtempSync(join(tmpdir(), 'cluster-existing-'));
  let server: KubeTestServer;
  let client: KubeClient;
  const events: StepEvent[] = [];
  const runner = new RecordingRunner([], { passThrough: ['git'] });

  before(async () => {
    ({ server, client } = await startUpstreamKube());
  });
  after(async () => {
    client?.close();
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('bootstraps the repository’s AppProject and ApplicationSets; Argo CD deploys Paddock; skips what it cannot with why', async () => {
    const argocd = startArgoCdStandIn(client, join(home, 'clusters', 'edge', 'gitops'));
    let session: Session;
    try {
      session = await bootstrapExisting(
        { home, runner, progress: (e) => events.push(e), version: '0.1.0' },
        {
          name: 'edge',
          kubeconfig: server.kubeconfig,
          repoURL: 'https://git.example.com/team/gitops.git',
          timeoutMs: 30_000,
        },
      );
    } finally {
      await argocd.stop();
    }
    assert.equal(session.mode, 'existing');
    assert.equal(session.state, 'running');
    assert.deepEqual(readSession(home, 'edge'), session);
    // Argo CD's kinds are served: no helm. Only git, for the repository.
    assert.deepEqual(
      runner.lines.map((l) => l.replace(/^git (-c \S+ )*/, 'git ')),
      [
        'git --version',
        'git init --quiet --initial-branch=main',
        'git add --all',
        'git diff --cached --quiet',
        'git commit --quiet --no-verify -m init: gitops repository',
        'git rev-parse HEAD',
        'git status --porcelain --untracked-files=all',
        'git add --all',
        'git diff --cached --quiet',
        'git commit --quiet --no-verify -m catalog: the compiled-in catalog (paddock enabled: argo cd deploys it from this repository)',
        'git rev-parse HEAD',
      ],
    );
    assert.deepEqual(argocd.generated, ['catalog-paddock']);
    assert.ok(
      events.some(
        (e) =>
          e.type === 'done' &&
          e.step === 'wait for argo cd to deploy paddock (application catalog-paddock)',
      ),
    );
    const skipped = events.flatMap((e) => (e.type === 'skipped' ? [`${e.step}: ${e.reason}`] : []));
    assert.ok(
      skipped.includes('install argo cd: the cluster already serves Argo CD’s kinds'),
      skipped.join('\n'),
    );

    const sets = await client.request<Listed>(
      'GET',
      '/apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets',
    );
    assert.deepEqual(sets.items.map((s) => s.metadata.name).sort(), [
      'paddock-agents',
      'paddock-apps',
      'paddock-catalog',
    ]);
    for (const set of sets.items) {
      assert.ok(
        set.metadata.managedFields?.some((f) => f.manager === FIELD_MANAGER),
        'applied server-side as paddock-cluster',
      );
      const generators = set.spec?.generators as Array<{ git: { repoURL: string } }>;
      assert.equal(generators[0]?.git.repoURL, 'https://git.example.com/team/gitops.git');
    }
    await client.request('GET', '/apis/argoproj.io/v1alpha1/namespaces/argocd/appprojects/paddock');
    // Argo CD owns Paddock: paddock install applied nothing (no CRDs, no monitoring objects).
    await assert.rejects(
      client.request(
        'GET',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sandboxes.paddock.dev',
      ),
      (e) => isPaddockError(e, ErrorCode.NotFound),
    );
    const monitors = await client.request<Listed>(
      'GET',
      '/apis/monitoring.coreos.com/v1/servicemonitors',
    );
    assert.equal(monitors.items.length, 0);
    // The Application the stand-in made would join the doctor and sync cases below.
    await client.request('DELETE', `${APPS}/catalog-paddock`);
  });

  it('waits for the Paddock Application, reporting each state; times out naming the last one', async () => {
    const step = 'wait';
    const states: string[] = [];
    let seen: () => void = () => {};
    const listed = new Promise<void>((resolve) => {
      seen = resolve;
    });
    const waiting = waitForPaddockApplication(client, {
      step,
      timeoutMs: 20_000,
      progress: (e) => {
        if (e.type !== 'progress') return;
        states.push(e.detail);
        seen();
      },
    });
    await listed;
    await client.request('POST', APPS, { body: application('catalog-paddock', 3) });
    for (const [sync, health] of [
      ['OutOfSync', 'Missing'],
      ['Synced', 'Progressing'],
      ['Synced', 'Healthy'],
    ]) {
      await client.request('PATCH', `${APPS}/catalog-paddock`, {
        body: { status: { sync: { status: sync }, health: { status: health } } },
        contentType: 'application/merge-patch+json',
      });
    }
    assert.equal(await waiting, 'Synced/Healthy');
    assert.deepEqual(states, [
      'not generated yet',
      'Unknown/Unknown',
      'OutOfSync/Missing',
      'Synced/Progressing',
      'Synced/Healthy',
    ]);
    await client.request('PATCH', `${APPS}/catalog-paddock`, {
      body: {
        status: {
          health: { status: 'Degraded' },
          operationState: {
            phase: 'Failed',
            message: 'one or more objects failed to apply',
            operation: SYNC_OPERATION,
            startedAt: new Date().toISOString(),
          },
        },
      },
      contentType: 'application/merge-patch+json',
    });
    await assert.rejects(
      waitForPaddockApplication(client, { step, timeoutMs: 300, progress: () => {} }),
      (e) =>
        isPaddockError(e, ErrorCode.Timeout) &&
        e.message.includes(
          'Application catalog-paddock is Synced/Degraded (one or more objects failed to apply)',
        ),
    );
    await client.request('DELETE', `${APPS}/catalog-paddock`);
  });

  it('the git server’s CiliumNetworkPolicy is accepted; its core and apps objects are skipped', async () => {
    const outcomes = await applyServed(client, gitServerObjects());
    assert.deepEqual(
      outcomes.map((o) => `${o.object}: ${o.result}`),
      [
        'Namespace argocd: skipped',
        'Deployment paddock-gitops in argocd: skipped',
        'CiliumNetworkPolicy paddock-gitops in argocd: applied',
        'Service paddock-gitops in argocd: skipped',
      ],
    );
    await client.request(
      'GET',
      '/apis/cilium.io/v2/namespaces/argocd/ciliumnetworkpolicies/paddock-gitops',
    );
  });

  it('doctor: checks needing core/v1 or apps/v1 are skipped with why; apps report sync and health', async () => {
    await client.request('POST', APPS, { body: application('healthy', 0) });
    await client.request('PATCH', `${APPS}/healthy`, {
      body: { status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } } },
      contentType: 'application/merge-patch+json',
    });
    await client.request('POST', APPS, { body: application('drifting', 1) });
    const checks = await checkCluster(client);
    const by = new Map(checks.map((c) => [c.name, c]));
    assert.deepEqual(by.get('nodes Ready'), {
      name: 'nodes Ready',
      status: 'skipped',
      detail: 'the API server does not serve nodes (core/v1)',
    });
    assert.equal(by.get('cilium')?.status, 'skipped');
    assert.equal(by.get('argocd server')?.detail, 'the API server does not serve apps/v1');
    assert.equal(by.get('app healthy')?.status, 'ok');
    assert.equal(by.get('app drifting')?.status, 'fail');
    assert.match(by.get('app drifting')?.fix ?? '', /Argo CD has not reconciled it yet/);
    assert.equal(by.get('agent namespaces')?.status, 'skipped');
    const none = await checkCluster({
      skipped: 'no cluster: paddock cluster create NAME makes one',
    });
    assert.ok(none.every((c) => c.status === 'skipped' && c.detail.startsWith('no cluster')));
  });

  it('sync: sets operation tier by tier, the next tier only once the previous finished', async () => {
    // A stand-in for Argo CD's application controller: performs each requested operation.
    const seen: string[] = [];
    let isRunning = true;
    const controller = (async () => {
      while (isRunning) {
        const apps = await client.request<{
          items: Array<{ metadata: { name: string }; operation?: unknown }>;
        }>('GET', APPS);
        for (const app of apps.items.filter((a) => a.operation !== undefined)) {
          const others = apps.items
            .filter((a) => a !== app && a.operation !== undefined)
            .map((a) => a.metadata.name);
          seen.push(`${app.metadata.name}${others.length ? ` while ${others.join(',')}` : ''}`);
          assert.deepEqual(app.operation, SYNC_OPERATION);
          await client.request('PATCH', `${APPS}/${app.metadata.name}`, {
            body: {
              operation: null,
              status: {
                operationState: {
                  phase: 'Succeeded',
                  operation: SYNC_OPERATION,
                  startedAt: new Date().toISOString(),
                },
              },
            },
            contentType: 'application/merge-patch+json',
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      const result = await syncApplications(client, { progress: () => {}, timeoutMs: 20_000 });
      assert.deepEqual(result, [
        { tier: 0, application: 'healthy', phase: 'Succeeded' },
        { tier: 1, application: 'drifting', phase: 'Succeeded' },
      ]);
      assert.deepEqual(seen, ['healthy', 'drifting']);
    } finally {
      isRunning = false;
      await controller;
    }
  });

  it('sync without a running Argo CD times out naming the application; a pending operation is not replaced', async () => {
    await assert.rejects(
      syncApplications(client, { progress: () => {}, timeoutMs: 300, names: ['healthy'] }),
      (e) => isPaddockError(e, ErrorCode.Timeout) && e.message.includes('healthy'),
    );
    const events: StepEvent[] = [];
    const result = await syncApplications(client, {
      progress: (e) => events.push(e),
      isWaiting: false,
      names: ['healthy'],
    });
    assert.deepEqual(result, [{ tier: 0, application: 'healthy', phase: 'Requested' }]);
    assert.ok(
      events.some(
        (e) => e.type === 'skipped' && e.reason === 'another operation is already in progress',
      ),
    );
  });
});

describe('an existing cluster without Argo CD', { skip: kubeSkipReason ?? false }, () => {
  const home = mkdtempSync(join(tmpdir(), 'cluster-existing-bare-'));
  let server: KubeTestServer;
  after(async () => {
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('installs Argo CD with helm; what needs Argo CD’s kinds is skipped with why', async () => {
    server = await startKubeTestServer();
    const runner = new RecordingRunner([], { passThrough: ['git'] });
    const events: StepEvent[] = [];
    const session = await bootstrapExisting(
      { home, runner, progress: (e) => events.push(e), version: '0.1.0' },
      { name: 'bare', kubeconfig: server.kubeconfig, timeoutMs: 30_000 },
    );
    const helm = runner.lines.filter((l) => l.startsWith('helm '));
    const valuesFile = join(home, 'clusters', 'bare', 'argocd-values.yaml');
    assert.deepEqual(helm, [
      `helm upgrade --install argocd argo-cd --repo https://argoproj.github.io/argo-helm --version 9.5.4 --namespace argocd --create-namespace --kubeconfig ${server.kubeconfig} --values ${valuesFile} --wait --timeout 10m`,
    ]);
    // The compiled-in values (the repository has no infra/argocd.yaml): progressive syncs on.
    const values = parse(readFileSync(valuesFile, 'utf8'));
    assert.equal(values.configs.params['applicationsetcontroller.enable.progressive.syncs'], true);
    assert.equal(values.dex.enabled, false);
    assert.equal(session.bootstrap.argocd, '9.5.4');
    // No repository Argo CD reaches: the catalog disables paddock, and paddock install owns it.
    assert.ok(
      runner.lines.some((l) =>
        l.endsWith(
          'commit --quiet --no-verify -m catalog: the compiled-in catalog (paddock disabled: paddock install installs it)',
        ),
      ),
      runner.lines.join('\n'),
    );
    assert.ok(events.some((e) => e.type === 'done' && e.step === 'install paddock'));
    assert.ok(!events.some((e) => e.step.startsWith('wait for argo cd')));
    const kube = await KubeClient.fromKubeconfig(server.kubeconfig);
    try {
      await kube.request(
        'GET',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sandboxes.paddock.dev',
      );
    } finally {
      kube.close();
    }
    const skipped = events.flatMap((e) => (e.type === 'skipped' ? [`${e.step}: ${e.reason}`] : []));
    assert.ok(
      skipped.includes(
        'apply AppProject paddock in argocd: the API server does not serve AppProject (argoproj.io/v1alpha1)',
      ),
      skipped.join('\n'),
    );
    assert.ok(
      skipped.some((s) =>
        s.startsWith('serve the gitops repository: a cluster paddock did not create cannot mount'),
      ),
    );
  });
});
