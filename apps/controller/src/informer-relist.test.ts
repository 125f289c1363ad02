// The controller kit's informer on the Kubernetes store, across a 410 Gone: its watch is cut,
// the objects change meanwhile and etcd is compacted past the last version it saw, so resuming
// is `expired`; it lists again, tells its handlers what changed, and watches on.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Informer } from '@paddock/control';
import { isPaddockError, type Sandbox } from '@paddock/core';
import { installCrds, KubeClient, KubeStore, paddockCrds } from '@paddock/kube';
import {
  eventually,
  type KubeTestServer,
  kubeSkipReason,
  startKubeTestServer,
  startTcpGate,
  uniqueName,
} from '@paddock/testkit';
import { parse, stringify } from 'yaml';

const skip =
  kubeSkipReason ??
  (process.env.PADDOCK_TEST_KUBECONFIG === undefined
    ? false
    : 'compacts etcd on demand, which only the test API server does (every second)');

describe('an informer on the Kubernetes store across a 410 Gone', { skip }, () => {
  let server: KubeTestServer;
  let direct: KubeClient;
  let dir: string;
  before(async () => {
    server = await startKubeTestServer({
      args: ['--watch-cache=false', '--compaction-interval=1s'],
    });
    direct = await KubeClient.fromKubeconfig(server.kubeconfig);
    await installCrds(direct, paddockCrds());
    dir = mkdtempSync(join(tmpdir(), 'paddock-relist-'));
  });
  after(async () => {
    direct?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists again and reports what changed while it could not watch', async () => {
    const namespace = uniqueName('relist');
    const gate = await startTcpGate(new URL(direct.server));
    const kubeconfig = join(dir, 'kubeconfig');
    const config = parse(readFileSync(server.kubeconfig, 'utf8')) as {
      clusters: Array<{ cluster: { server: string } }>;
    };
    for (const entry of config.clusters) entry.cluster.server = `https://127.0.0.1:${gate.port}`;
    writeFileSync(kubeconfig, stringify(config));
    const proxied = await KubeClient.fromKubeconfig(kubeconfig, { attempts: 2 });
    const store = new KubeStore(direct);
    const watched = new KubeStore(proxied);
    const informer = new Informer(watched, 'Sandbox', { retryMs: 100 });
    const seen: string[] = [];
    informer.subscribe((event) => {
      if (event.object.metadata.namespace === namespace)
        seen.push(`${event.type} ${event.object.metadata.name}`);
    });
    const sandbox = (name: string): Sandbox => ({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name, namespace },
      spec: { templateRef: { name: 'shell' }, desiredState: 'Running' },
    });
    try {
      await store.create(sandbox('kept'));
      await store.create(sandbox('removed'));
      await informer.start();
      assert.deepEqual(seen, ['ADDED kept', 'ADDED removed']);

      const listsBefore = proxied.stats.byVerb.GET ?? 0;
      gate.close();
      const kept = await store.get('Sandbox', { namespace, name: 'kept' });
      await store.update({ ...kept, metadata: { ...kept.metadata, labels: { changed: 'yes' } } });
      await store.delete('Sandbox', { namespace, name: 'removed' });
      await store.create(sandbox('added'));
      await compactedPast(direct, informer.resourceVersion);
      gate.open();

      await eventually(() => seen.length === 5, { what: 'the changes made meanwhile' });
      assert.deepEqual(seen.slice(2).sort(), ['ADDED added', 'DELETED removed', 'MODIFIED kept']);
      assert.ok((proxied.stats.byVerb.GET ?? 0) > listsBefore, 'it listed again');
      assert.deepEqual(
        informer.list({ namespace }).map((s) => s.metadata.name),
        ['added', 'kept'],
      );
      assert.equal(informer.get({ namespace, name: 'kept' })?.metadata.labels?.changed, 'yes');

      // It watches on from the new list: a later change arrives as a watch event.
      await store.create(sandbox('later'));
      await eventually(() => seen.at(-1) === 'ADDED later', { what: 'a change after the relist' });
    } finally {
      await informer.stop();
      await watched.close();
      await store.close();
      proxied.close();
      await gate.stop();
    }
  });
});

/** Waits until etcd has been compacted past `version`: a list at exactly it is 410 Gone. */
async function compactedPast(client: KubeClient, version: string): Promise<void> {
  for (let waited = 0; waited < 20_000; waited += 100) {
    try {
      await client.request('GET', '/apis/paddock.dev/v1alpha1/sandboxes', {
        query: { limit: 1, resourceVersion: version, resourceVersionMatch: 'Exact' },
      });
    } catch (error) {
      if (isPaddockError(error, 'expired')) return;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`etcd was not compacted past ${version} within 20 s`);
}
