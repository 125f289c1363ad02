// paddock install, install upgrade and uninstall through the real CLI: --dry-run prints the YAML
// of paddock install's renderers (CRDs first, stable), bad values are refused naming each field,
// and uninstall against a real API server deletes the release's objects by label, keeping the
// CRDs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  applyObject,
  installCrds,
  installManifest,
  KubeClient,
  manifestYaml,
  paddockCrds,
  renderInstall,
  resolveValues,
} from '@paddock/kube';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { parseAllDocuments } from 'yaml';
import { runCli } from './test-cli.ts';

describe('paddock install --dry-run', () => {
  it('prints the multi-document YAML of the values, CRDs first', async () => {
    const sets = ['controller.replicas=3', 'ingress.enabled=true'];
    const { code, stdout, stderr } = await runCli([
      'install',
      '--dry-run',
      ...sets.flatMap((set) => ['--set', set]),
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, manifestYaml(installManifest(resolveValues({ sets }))));
    const kinds = parseAllDocuments(stdout).map((d) => (d.toJS() as { kind: string }).kind);
    assert.equal(kinds[0], 'CustomResourceDefinition');
    assert.ok(kinds.includes('Ingress'));
    assert.ok(kinds.includes('Deployment'));
  });

  it('install upgrade --dry-run prints the same', async () => {
    const [install, upgrade] = await Promise.all([
      runCli(['install', '--dry-run']),
      runCli(['install', 'upgrade', '--dry-run']),
    ]);
    assert.equal(upgrade.code, 0, upgrade.stderr);
    assert.equal(upgrade.stdout, install.stdout);
  });

  it('refuses bad values, each named, and -n (the namespace is a value)', async () => {
    const bad = await runCli([
      'install',
      '--dry-run',
      '--set',
      'controller.replicas=0',
      '--set',
      'server.resources.limits.memory=lots',
      '--set',
      'nope=1',
    ]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    for (const field of ['controller.replicas', 'server.resources.limits.memory', 'nope']) {
      assert.match(bad.stderr, new RegExp(`${field.replaceAll('.', '\\.')}: `));
    }
    const namespaced = await runCli(['install', '--dry-run', '-n', 'x']);
    assert.equal(namespaced.code, 2);
    assert.match(namespaced.stderr, /--set namespace=NS/);
    const missing = await runCli(['install', '--dry-run', '--values', 'no-such-values.yaml']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--values: /);
  });

  it('refuses positional arguments, before reading values or a cluster', async () => {
    for (const argv of [
      ['install', '--dry-run', 'extra'],
      ['uninstall', 'extra'],
    ]) {
      const { code, stdout, stderr } = await runCli(argv);
      assert.equal(code, 2, stderr);
      assert.equal(stdout, '');
      assert.match(stderr, /extra: paddock (un)?install takes no arguments/);
    }
  });
});

describe('paddock uninstall on a real API server', { skip: kubeSkipReason ?? false }, () => {
  let server: KubeTestServer;
  let client: KubeClient;

  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    await installCrds(client, paddockCrds());
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  it("deletes the release's objects by label and keeps the CRDs", async () => {
    // The test server serves CRDs alone: a release object of a CRD kind stands in for the rest.
    const values = resolveValues({ sets: ['name=cli-release', 'namespace=cli-system'] });
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'servicemonitors.monitoring.coreos.com' },
      spec: {
        group: 'monitoring.coreos.com',
        scope: 'Namespaced',
        names: { plural: 'servicemonitors', singular: 'servicemonitor', kind: 'ServiceMonitor' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        ],
      },
    };
    await installCrds(client, [crd as never]);
    const monitor = renderInstall(values, {
      monitoringKinds: new Set(['ServiceMonitor']),
    }).find((o) => o.kind === 'ServiceMonitor');
    assert.ok(monitor);
    await applyObject(client, monitor);

    const { code, stdout, stderr } = await runCli([
      'uninstall',
      '--kubeconfig',
      server.kubeconfig,
      '--set',
      'name=cli-release',
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^deleted ServiceMonitor cli-release-controller \(\d/m);
    assert.match(stdout, /kept the CRDs/);
    assert.match(stdout, /^uninstalled cli-release in /m);
    const left = await client.request<{ items: unknown[] }>(
      'GET',
      '/apis/monitoring.coreos.com/v1/servicemonitors',
    );
    assert.deepEqual(left.items, []);
    await client.request(
      'GET',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sandboxes.paddock.dev',
    );
  });
});
