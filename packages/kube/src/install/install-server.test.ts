// paddock install against a real API server: Paddock's CRDs and custom resources, and (with
// prometheus-operator's upstream CRDs installed first) the ServiceMonitors and PrometheusRule,
// applied server-side; every other object with dryRun=All where the server serves its API (the
// test server serves CRDs alone, so those are skipped there, each kind with its reason); the
// upgrade's prune and uninstall, by label.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { API_VERSION, isPaddockError } from '@paddock/core';
import { type KubeTestServer, kubeSkipReason, startKubeTestServer } from '@paddock/testkit';
import { parse } from 'yaml';
import { KubeClient } from '../client/kube-client.ts';
import type { CustomResourceDefinition } from '../crds/crds.ts';
import { paddockCrds } from '../crds/crds.ts';
import { installCrds } from '../crds/install.ts';
import { groupVersionPath } from '../runtime/api-paths.ts';
import {
  applyCrds,
  applyObject,
  detectCapabilities,
  pruneRelease,
  releaseObjects,
  uninstall,
} from './applier.ts';
import { INSTALL_KINDS } from './install-kinds.ts';
import { INSTALL_FIELD_MANAGER } from './install-meta.ts';
import { renderInstall } from './render.ts';
import { resolveValues } from './values.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** prometheus-operator's upstream CRDs: beside the test server's scripts, as testkit finds them. */
function monitoringCrdDir(): string | undefined {
  const dir = join(
    process.env.PADDOCK_KUBE_SERVER ?? join(ROOT, '..', 'shared', 'kube'),
    'crds',
    'prometheus-operator',
  );
  return existsSync(dir) ? dir : undefined;
}
const crdDir = monitoringCrdDir();
const skip =
  kubeSkipReason ??
  (crdDir === undefined
    ? "no prometheus-operator CRDs: PADDOCK_KUBE_SERVER's folder (or shared/kube beside the repository) has no crds/prometheus-operator"
    : undefined);

describe('paddock install on a real API server', { skip: skip ?? false }, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  const log: string[] = [];
  const options = { log: (line: string) => log.push(line), timeoutMs: 60_000 };
  const values = resolveValues({
    sets: ['name=pdtest', 'namespace=pdtest-system', 'ingress.enabled=true'],
  });

  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    const upstream = readdirSync(crdDir ?? '')
      .filter((file) => file.endsWith('.yaml'))
      .map(
        (file) => parse(readFileSync(join(crdDir ?? '', file), 'utf8')) as CustomResourceDefinition,
      );
    await installCrds(client, upstream);
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  it("applies Paddock's CRDs server-side, as paddock-install, and waits until they are Established", async () => {
    await applyCrds(client, paddockCrds(), options);
    assert.ok(
      log.some((line) => /^applied \d+ CRDs \(/.test(line)),
      log.join('\n'),
    );
    assert.ok(log.some((line) => /^CRDs established \(/.test(line)));
    const crd = await client.request<{ metadata: { managedFields: Array<{ manager: string }> } }>(
      'GET',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sandboxes.paddock.dev`,
    );
    assert.ok(crd.metadata.managedFields.some((f) => f.manager === INSTALL_FIELD_MANAGER));
    // Paddock's custom resources go through the installed CRDs' schemas.
    for (const object of [
      { kind: 'SandboxTemplate', metadata: { name: 'base', namespace: 'team-a' }, spec: {} },
      {
        kind: 'Sandbox',
        metadata: { name: 'box', namespace: 'team-a' },
        spec: { templateRef: { name: 'base' }, desiredState: 'Running' },
      },
    ]) {
      const plural = object.kind === 'Sandbox' ? 'sandboxes' : 'sandboxtemplates';
      await client.request(
        'PATCH',
        `/apis/${API_VERSION}/namespaces/team-a/${plural}/${object.metadata.name}`,
        {
          query: { fieldManager: INSTALL_FIELD_MANAGER },
          body: { apiVersion: API_VERSION, ...object },
          contentType: 'application/apply-patch+yaml',
        },
      );
    }
  });

  it('finds prometheus-operator, and applies the ServiceMonitors and the PrometheusRule server-side', async () => {
    const capabilities = await detectCapabilities(client);
    assert.ok(capabilities.monitoringKinds.has('ServiceMonitor'));
    assert.ok(capabilities.monitoringKinds.has('PrometheusRule'));
    const monitoring = renderInstall(values, capabilities).filter((o) =>
      o.apiVersion.startsWith('monitoring.coreos.com/'),
    );
    assert.deepEqual(monitoring.map((o) => o.kind).sort(), [
      'PrometheusRule',
      'ServiceMonitor',
      'ServiceMonitor',
    ]);
    for (const object of monitoring) {
      const stored = await applyObject(client, object);
      assert.equal(stored.metadata.name, object.metadata.name);
    }
  });

  it('every other object: dryRun=All where the server serves its API, else skipped with the reason', async (t) => {
    const objects = renderInstall(values, await detectCapabilities(client)).filter(
      (o) => !o.apiVersion.startsWith('monitoring.coreos.com/'),
    );
    const unserved = new Set<string>();
    for (const object of objects) {
      try {
        await client.request('GET', groupVersionPath(object.apiVersion));
      } catch (error) {
        if (!isPaddockError(error, 'not_found')) throw error;
        unserved.add(`${object.kind} (${object.apiVersion})`);
        continue;
      }
      await applyObject(client, object, { isDryRun: true });
    }
    if (unserved.size > 0) {
      t.diagnostic(`not served here, so not applied: ${[...unserved].join(', ')}`);
      assert.equal(server.full, false, 'a whole cluster serves every kind');
    }
  });

  it('upgrade prunes, by label, what the new values no longer render; uninstall keeps the CRDs', async () => {
    const monitoringKinds = INSTALL_KINDS.filter((k) => k.apiVersion.startsWith('monitoring'));
    const before = await releaseObjects(client, values.name, monitoringKinds);
    assert.equal(before.length, 3);
    // New values: monitoring disabled; what stays rendered is kept.
    const next = resolveValues({
      sets: ['name=pdtest', 'namespace=pdtest-system', 'monitoring.prometheusOperator=disabled'],
    });
    const kept = renderInstall(values, await detectCapabilities(client)).filter(
      (o) => o.kind === 'ServiceMonitor' && o.metadata.name === 'pdtest-controller',
    );
    await pruneRelease(client, [...renderInstall(next), ...kept], values.name, options);
    const after = await releaseObjects(client, values.name, monitoringKinds);
    assert.deepEqual(
      after.map((o) => `${o.kind.kind}/${o.name}`),
      ['ServiceMonitor/pdtest-controller'],
    );
    assert.ok(log.some((line) => /^pruned PrometheusRule pdtest-alerts \(/.test(line)));

    await uninstall(client, values.name, paddockCrds(), options);
    assert.deepEqual(await releaseObjects(client, values.name, monitoringKinds), []);
    await client.request(
      'GET',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sandboxes.paddock.dev',
    );
    await client.request('GET', `/apis/${API_VERSION}/namespaces/team-a/sandboxes/box`);
  });
});
