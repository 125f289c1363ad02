// The Argo CD objects of the repository against a real API server with Argo CD's upstream CRDs:
// the AppProject and ApplicationSets applied server-side with strict field validation, and the
// Applications the ApplicationSets generate (their templates rendered here for sample files the
// repository wrote, as Argo CD's Go templates would render these plain field references).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { installCrds, KubeClient } from '@paddock/kube';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { parse } from 'yaml';
import { CATALOG_ENTRIES } from '../catalog/index.ts';
import {
  type ArgoObject,
  KEEP_ON_DELETE,
  SYNC_WAVE_ANNOTATION,
  TIER_LABEL,
} from './argocd-objects.ts';
import { GitopsRepo } from './gitops-repo.ts';
import { spawnRunner } from './spawn-runner.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const crdDir = join(
  process.env.PADDOCK_KUBE_SERVER ?? join(ROOT, '..', 'shared', 'kube'),
  'crds',
  'argo-cd',
);
const skip =
  kubeSkipReason ??
  (existsSync(crdDir)
    ? undefined
    : "no Argo CD CRDs: the test server's folder has no crds/argo-cd");

const PLURALS = {
  AppProject: 'appprojects',
  ApplicationSet: 'applicationsets',
  Application: 'applications',
};

/**
 * Renders `{{ .a.b }}` references and `{{ ne .a "text" }}` comparisons of a template with
 * `params` (what the git generator gives).
 */
function render(template: unknown, params: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    return template.replace(
      /\{\{ (ne )?\.([\w.]+)(?: "([^"]*)")? \}\}/g,
      (_, ne: string | undefined, path: string, literal: string | undefined) => {
        const value = path
          .split('.')
          .reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], params);
        assert.notEqual(value, undefined, `missing key ${path}`);
        return ne === undefined ? String(value) : String(String(value) !== literal);
      },
    );
  }
  if (Array.isArray(template)) return template.map((item) => render(item, params));
  if (typeof template === 'object' && template !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template)) {
      const rendered = render(value, params);
      // Argo CD drops empty strings (omitempty): an app has a chart or a path, not both.
      if (rendered !== '') out[key] = rendered;
    }
    return out;
  }
  return template;
}

describe('Argo CD objects on a real API server', { skip: skip ?? false }, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  let dir: string;
  let repo: GitopsRepo;

  async function apply(object: { kind: string; metadata: { name: string; namespace?: string } }) {
    const plural = PLURALS[object.kind as keyof typeof PLURALS];
    return client.request<{ metadata: { name: string }; spec: Record<string, unknown> }>(
      'PATCH',
      `/apis/argoproj.io/v1alpha1/namespaces/${object.metadata.namespace}/${plural}/${object.metadata.name}`,
      {
        query: { fieldManager: 'paddock-test', force: true, fieldValidation: 'Strict' },
        body: object,
        contentType: 'application/apply-patch+yaml',
      },
    );
  }

  function generated(set: ArgoObject, file: string): Record<string, unknown> {
    const template = set.spec.template as Record<string, unknown>;
    return {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      ...(render(template, parse(readFileSync(join(dir, file), 'utf8'))) as object),
      metadata: {
        ...(render(template.metadata, parse(readFileSync(join(dir, file), 'utf8'))) as object),
        namespace: set.metadata.namespace,
      },
    };
  }

  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    const crds = readdirSync(crdDir)
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => parse(readFileSync(join(crdDir, file), 'utf8')));
    await installCrds(client, crds);
    dir = mkdtempSync(join(tmpdir(), 'paddock-gitops-argo-'));
    repo = new GitopsRepo({
      dir,
      runner: spawnRunner,
      settings: { repoURL: 'git://gitops.paddock-system.svc/gitops' },
    });
    await repo.init();
    await repo.addApp({
      name: 'my-api',
      repoURL: 'https://charts.example.com',
      chart: 'my-api',
      targetRevision: '1.2.0',
    });
    await repo.addApp({
      name: 'web',
      repoURL: 'https://github.com/example/web.git',
      path: 'chart',
      targetRevision: 'main',
    });
    await repo.writeCatalog([
      {
        name: 'litellm',
        category: 'llm-gateway',
        description: 'LiteLLM proxy',
        repoURL: 'https://example.com/charts',
        chart: 'litellm-helm',
        targetRevision: '0.1.0',
        namespace: 'litellm',
        enabled: true,
        tier: 2,
      },
    ]);
    await repo.addAgent('team-a', { egress: { namespaces: ['litellm'] } });
  });
  after(async () => {
    client?.close();
    await server?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts the AppProject and the ApplicationSets server-side, as written to bootstrap/', async () => {
    const objects = repo.bootstrapObjects();
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'AppProject/paddock',
        'ApplicationSet/paddock-apps',
        'ApplicationSet/paddock-catalog',
        'ApplicationSet/paddock-agents',
      ],
    );
    for (const object of objects) {
      const stored = await apply(object);
      // Nothing was pruned: the server kept every field we sent.
      assert.deepEqual(stored.spec, JSON.parse(JSON.stringify(object.spec)));
    }
    const catalog = objects[2] as ArgoObject;
    const strategy = catalog.spec.strategy as { rollingSync: { steps: unknown[] } };
    assert.equal(strategy.rollingSync.steps.length, repo.settings.catalogTiers.length + 1);
  });

  it('accepts the Applications the ApplicationSets generate from the files', async () => {
    const [, apps, catalog, agents] = repo.bootstrapObjects() as [
      ArgoObject,
      ArgoObject,
      ArgoObject,
      ArgoObject,
    ];
    const applications = [
      generated(apps, 'apps/coordinates/my-api.yaml'),
      generated(apps, 'apps/coordinates/web.yaml'),
      generated(catalog, 'catalog/litellm.yaml'),
      generated(agents, 'agents/team-a.yaml'),
    ];
    for (const application of applications) {
      const stored = await apply(application as never);
      assert.deepEqual(stored.spec, JSON.parse(JSON.stringify(application.spec)));
    }
    const litellm = applications[2] as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: {
        sources: Array<{ helm?: { valueFiles: string[] } }>;
        syncPolicy: { syncOptions: string[] };
      };
    };
    // A disabled entry's objects go with its Application; Paddock's stay for paddock install.
    assert.ok(litellm.spec.syncPolicy.syncOptions.includes('Delete=true'));
    await repo.writeCatalog(CATALOG_ENTRIES);
    const paddock = generated(catalog, 'catalog/paddock.yaml') as typeof litellm;
    await apply(paddock as never);
    assert.ok(paddock.spec.syncPolicy.syncOptions.includes(KEEP_ON_DELETE));
    assert.equal(litellm.metadata.labels[TIER_LABEL], '2');
    assert.equal(litellm.metadata.annotations[SYNC_WAVE_ANNOTATION], '2');
    assert.deepEqual(litellm.spec.sources[0]?.helm?.valueFiles, [
      '$values/catalog/values/litellm.yaml',
      '$values/infra/litellm.yaml',
    ]);
    const web = applications[1] as { spec: { sources: Array<Record<string, unknown>> } };
    assert.equal(web.spec.sources[0]?.path, 'chart');
    assert.equal('chart' in (web.spec.sources[0] ?? {}), false);
    const agent = applications[3] as {
      spec: { source: { path: string }; destination: { namespace: string } };
    };
    assert.equal(agent.spec.source.path, 'agents/team-a');
    assert.equal(agent.spec.destination.namespace, 'team-a');
  });

  it('rejects an object the CRD does not allow (the check can fail)', async () => {
    const [project] = repo.bootstrapObjects() as [ArgoObject];
    await assert.rejects(
      apply({ ...project, spec: { ...project.spec, sourceRepo: ['*'] } } as never),
      /\.spec\.sourceRepo: field not declared in schema/,
    );
  });
});
