// Test support: a stand-in for Argo CD's ApplicationSet and application controllers on the test
// API server (which runs no controllers). Once the catalog ApplicationSet `paddock-catalog`
// exists, it generates an Application `catalog-<name>` for each `catalog/<name>.yaml` of the
// repository with `enabled: true` (the generator's selector), then moves each through the states
// Argo CD reports while it deploys: OutOfSync/Missing, Synced/Progressing, Synced/Healthy.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '@paddock/kube';
import { parse } from 'yaml';

const BASE = '/apis/argoproj.io/v1alpha1/namespaces/argocd';
const STATES = [
  { sync: 'OutOfSync', health: 'Missing' },
  { sync: 'Synced', health: 'Progressing' },
  { sync: 'Synced', health: 'Healthy' },
];

export type ArgoCdStandIn = {
  /** The Applications it generated, in order. */
  generated: string[];
  /** Stops it; throws what went wrong while it ran, if anything did. */
  stop(): Promise<void>;
};

function enabledEntries(repoDir: string): Array<{ name: string; namespace: string }> {
  const dir = join(repoDir, 'catalog');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>)
    .filter((entry) => entry.enabled === true)
    .map((entry) => ({ name: String(entry.name), namespace: String(entry.namespace) }));
}

export function startArgoCdStandIn(client: KubeClient, repoDir: string): ArgoCdStandIn {
  const controller = new AbortController();
  const generated: string[] = [];
  const generate = async () => {
    for (const entry of enabledEntries(repoDir)) {
      const name = `catalog-${entry.name}`;
      if (generated.includes(name)) continue;
      generated.push(name);
      await client.request('POST', `${BASE}/applications`, {
        body: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name, namespace: 'argocd' },
          spec: {
            project: 'paddock',
            source: { repoURL: 'git://stand-in/gitops', path: entry.name, targetRevision: 'main' },
            destination: { server: 'https://kubernetes.default.svc', namespace: entry.namespace },
          },
        },
        signal: controller.signal,
      });
      for (const state of STATES) {
        await client.request('PATCH', `${BASE}/applications/${name}`, {
          body: {
            status: { sync: { status: state.sync }, health: { status: state.health } },
          },
          contentType: 'application/merge-patch+json',
          signal: controller.signal,
        });
      }
    }
  };
  const run = (async () => {
    const list = await client.request<{
      metadata?: { resourceVersion?: string };
      items?: Array<{ metadata: { name: string } }>;
    }>('GET', `${BASE}/applicationsets`, { signal: controller.signal });
    if (list.items?.some((s) => s.metadata.name === 'paddock-catalog')) await generate();
    for await (const event of client.watch(
      `${BASE}/applicationsets`,
      { resourceVersion: list.metadata?.resourceVersion },
      controller.signal,
    )) {
      const name = (event.object as { metadata?: { name?: string } }).metadata?.name;
      if (event.type !== 'DELETED' && name === 'paddock-catalog') await generate();
    }
  })().then(
    () => undefined,
    (error: unknown) => (controller.signal.aborted ? undefined : error),
  );
  return {
    generated,
    stop: async () => {
      controller.abort();
      const failure = await run;
      if (failure !== undefined) throw failure;
    },
  };
}
