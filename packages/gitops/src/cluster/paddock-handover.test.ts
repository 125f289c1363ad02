// Paddock handed from `paddock install` to Argo CD and back on the real test API server (CRDs
// only, with Argo CD's, Cilium's and prometheus-operator's upstream CRDs), Argo CD played by the
// stand-in that applies Paddock's objects as `argocd-controller` does. What the server holds is
// checked: the same objects (uid) throughout, one field manager at the end, infra/paddock.yaml
// applied by both owners, no object deleted when the entry is disabled.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { type KubeClient, paddockCrds } from '@paddock/kube';
import type { KubeTestServer } from '@paddock/testkit';
import { CATALOG_ENTRIES } from '../catalog/index.ts';
import { GitopsRepo } from '../repo/index.ts';
import { spawnRunner } from '../repo/spawn-runner.ts';
import { type ArgoCdStandIn, startArgoCdStandIn } from './argocd-stand-in.ts';
import { installPaddock } from './in-cluster.ts';
import { applyServed, Discovery } from './kube-objects.ts';
import {
  ARGOCD_MANAGER,
  handOverToArgoCd,
  handOverToInstall,
  INSTALL_MANAGER,
  TRACKING_ANNOTATION,
} from './paddock-handover.ts';
import { APPLICATIONS, PADDOCK_APPLICATION } from './paddock-rollout.ts';
import type { StepEvent } from './steps.ts';
import { startUpstreamKube, upstreamSkipReason } from './test-kube.ts';

type Live = {
  metadata: {
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: Array<{ manager: string; operation: string }>;
  };
  spec?: { endpoints?: Array<{ interval?: string }> };
};

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const MONITORING = '/apis/monitoring.coreos.com/v1/namespaces/paddock-system';
const SERVICE_MONITOR = `${MONITORING}/servicemonitors/paddock-controller`;

describe('paddock handed between paddock install and argo cd', {
  skip: upstreamSkipReason ?? false,
}, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  let root: string;
  let repo: GitopsRepo;
  let argocd: ArgoCdStandIn;
  const events: StepEvent[] = [];
  const progress = (e: StepEvent) => events.push(e);
  /** Paddock's objects this server serves: its CRDs and its monitoring objects. */
  let paths: string[];
  const uids = new Map<string, string>();

  const live = (path: string) => client.request<Live>('GET', path);
  const applyManagers = async (path: string) =>
    ((await live(path)).metadata.managedFields ?? [])
      .filter((f) => f.operation === 'Apply')
      .map((f) => f.manager)
      .sort();
  const setPaddock = (enabled: boolean) =>
    repo.writeCatalog(
      CATALOG_ENTRIES.map((e) => (e.name === 'paddock' ? { ...e, enabled } : e)),
      { message: `catalog: ${enabled ? 'enable' : 'disable'} paddock` },
    );

  before(async () => {
    ({ server, client } = await startUpstreamKube());
    root = mkdtempSync(join(tmpdir(), 'paddock-handover-'));
    repo = new GitopsRepo({
      dir: join(root, 'gitops'),
      runner: spawnRunner,
      settings: { repoURL: 'https://git.example.com/lab/gitops.git' },
    });
    await repo.init();
    await setPaddock(false);
    // The user's overrides of Paddock's values: both owners must render them.
    await repo.setInfra('paddock', {
      monitoring: { labels: { release: 'kps' }, scrapeInterval: '15s' },
    });
    await applyServed(client, repo.bootstrapObjects());
    argocd = startArgoCdStandIn(client, repo.dir, { isDeploying: true });
  });
  after(async () => {
    await argocd?.stop();
    client?.close();
    await server?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('paddock install applies the entry’s values with infra/paddock.yaml over them', async () => {
    await installPaddock(client, {
      discovery: new Discovery(client),
      progress,
      values: await repo.paddockValues(),
    });
    paths = [
      ...paddockCrds().map((crd) => `${CRDS}/${crd.metadata.name}`),
      SERVICE_MONITOR,
      `${MONITORING}/servicemonitors/paddock-server`,
      `${MONITORING}/prometheusrules/paddock-alerts`,
    ];
    for (const path of paths) {
      const object = await live(path);
      uids.set(path, object.metadata.uid);
      assert.deepEqual(await applyManagers(path), [INSTALL_MANAGER], path);
    }
    const monitor = await live(SERVICE_MONITOR);
    assert.equal(monitor.metadata.labels?.release, 'kps');
    assert.equal(monitor.spec?.endpoints?.[0]?.interval, '15s');
  });

  it('enabling the entry: argo cd adopts every object in place, paddock install lets go', async () => {
    await setPaddock(true);
    const release = await handOverToArgoCd(client, {
      values: await repo.paddockValues(),
      progress,
      timeoutMs: 30_000,
    });
    assert.deepEqual(release.kept, []);
    assert.equal(release.released.length, paths.length);
    assert.deepEqual(argocd.generated, [PADDOCK_APPLICATION]);
    for (const path of paths) {
      const object = await live(path);
      assert.equal(object.metadata.uid, uids.get(path), `${path} was adopted, not re-created`);
      assert.deepEqual(await applyManagers(path), [ARGOCD_MANAGER], path);
      assert.match(object.metadata.annotations?.[TRACKING_ANNOTATION] ?? '', /^catalog-paddock:/);
    }
    const crds = await client.request<{ items: Array<{ spec: { group: string } }> }>('GET', CRDS);
    assert.equal(
      crds.items.filter((c) => c.spec.group === 'paddock.dev').length,
      paddockCrds().length,
      'no CRD twice',
    );
    const monitor = await live(SERVICE_MONITOR);
    assert.equal(monitor.metadata.labels?.release, 'kps', 'argo cd renders infra/paddock.yaml');
    assert.equal(monitor.spec?.endpoints?.[0]?.interval, '15s');
  });

  it('disabling it: argo cd deletes its application but keeps the objects; paddock install takes them back', async () => {
    const release = await handOverToInstall(client, {
      values: await repo.paddockValues(),
      progress,
      timeoutMs: 30_000,
      bootstrapObjects: repo.bootstrapObjects(),
      disable: () => setPaddock(false),
    });
    assert.deepEqual(release.kept, []);
    assert.equal(release.released.length, paths.length);
    assert.deepEqual(argocd.deleted, [{ application: PADDOCK_APPLICATION, isCascading: false }]);
    await assert.rejects(live(`${APPLICATIONS}/${PADDOCK_APPLICATION}`), (e) =>
      isPaddockError(e, ErrorCode.NotFound),
    );
    for (const path of paths) {
      const object = await live(path);
      assert.equal(object.metadata.uid, uids.get(path), `${path} was kept, not re-created`);
      assert.deepEqual(await applyManagers(path), [INSTALL_MANAGER], path);
      assert.equal(object.metadata.annotations?.[TRACKING_ANNOTATION], undefined);
    }
    assert.equal((await live(SERVICE_MONITOR)).metadata.labels?.release, 'kps');
    assert.ok(events.some((e) => e.type === 'done' && e.step.startsWith('keep paddock’s objects')));
  });

  it('an application without Delete=false takes its objects with it (the stand-in can fail the case above)', async () => {
    await setPaddock(true);
    await handOverToArgoCd(client, {
      values: await repo.paddockValues(),
      progress,
      timeoutMs: 30_000,
    });
    // An Application generated from an older template, which deleted what it deployed.
    await client.request('PATCH', `${APPLICATIONS}/${PADDOCK_APPLICATION}`, {
      body: { spec: { syncPolicy: { syncOptions: ['ServerSideApply=true'] } } },
      contentType: 'application/merge-patch+json',
    });
    await setPaddock(false);
    await client.request(
      'PATCH',
      '/apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets/paddock-catalog',
      {
        body: {
          metadata: { annotations: { 'argocd.argoproj.io/application-set-refresh': 'true' } },
        },
        contentType: 'application/merge-patch+json',
      },
    );
    for (let i = 0; argocd.deleted.length < 2; i++) {
      assert.ok(i < 600, 'the stand-in deleted the application');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(argocd.deleted[1], { application: PADDOCK_APPLICATION, isCascading: true });
    await assert.rejects(live(SERVICE_MONITOR), (e) => isPaddockError(e, ErrorCode.NotFound));
    // CRDs are never deleted with an Application.
    await live(paths[0] ?? '');
  });
});
