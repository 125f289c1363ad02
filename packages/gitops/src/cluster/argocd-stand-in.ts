// Test support: a stand-in for Argo CD's ApplicationSet and application controllers on the test
// API server (which runs no controllers). Whenever the catalog ApplicationSet `paddock-catalog`
// exists or changes (a refresh annotation included), it generates an Application `catalog-<name>`
// for each `catalog/<name>.yaml` of the repository with `enabled: true` (the generator's
// selector), its sync options rendered from the live ApplicationSet's template, and moves each
// through the states Argo CD reports while it deploys: OutOfSync/Missing, Synced/Progressing,
// Synced/Healthy. With `isDeploying`, it also deploys `catalog-paddock` as Argo CD would: every
// object the chart renders (with the entry's values and `infra/paddock.yaml` over them) applied
// server-side as `argocd-controller` with conflicts forced and its tracking annotation. An entry
// no longer enabled has its Application deleted, and with it (the resources finalizer) the
// objects it deployed, CRDs excepted, unless its sync options say `Delete=false`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, isPaddockError } from '@paddock/core';
import { detectCapabilities, installManifest, type KubeClient } from '@paddock/kube';
import { parse } from 'yaml';
import { deepMerge, KEEP_ON_DELETE, type YamlMap } from '../repo/index.ts';
import { paddockInstallValues } from './in-cluster.ts';
import { Discovery, type KubeObject } from './kube-objects.ts';
import { ARGOCD_MANAGER, TRACKING_ANNOTATION } from './paddock-handover.ts';

const BASE = '/apis/argoproj.io/v1alpha1/namespaces/argocd';
const STATES = [
  { sync: 'OutOfSync', health: 'Missing' },
  { sync: 'Synced', health: 'Progressing' },
  { sync: 'Synced', health: 'Healthy' },
];

export type ArgoCdStandIn = {
  /** The Applications it generated, in order (one deleted and generated again appears twice). */
  generated: string[];
  /** The Applications it deleted, in order, and whether their objects went with them. */
  deleted: Array<{ application: string; isCascading: boolean }>;
  /** Stops it; throws what went wrong while it ran, if anything did. */
  stop(): Promise<void>;
};

type Entry = { name: string; namespace: string; enabled: boolean };
type AppSet = {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { template?: unknown };
};
const REFRESH = 'argocd.argoproj.io/application-set-refresh';

function catalogEntries(repoDir: string): Entry[] {
  const dir = join(repoDir, 'catalog');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>)
    .map((e) => ({
      name: String(e.name),
      namespace: String(e.namespace),
      enabled: e.enabled === true,
    }));
}

function readMap(path: string): YamlMap {
  return existsSync(path) ? ((parse(readFileSync(path, 'utf8')) ?? {}) as YamlMap) : {};
}

/**
 * A Go template string of an ApplicationSet rendered for `params`, for the forms Paddock's
 * templates use: `{{ .field }}` and `{{ ne .field "text" }}` / `{{ eq … }}`.
 */
export function renderTemplateString(text: string, params: Record<string, unknown>): string {
  return text.replace(/\{\{ (?:(ne|eq) )?\.(\w+)(?: "([^"]*)")? \}\}/g, (_, op, key, literal) => {
    const value = String(params[key]);
    if (op === undefined) return value;
    return String(op === 'eq' ? value === literal : value !== literal);
  });
}

export function startArgoCdStandIn(
  client: KubeClient,
  repoDir: string,
  options: { isDeploying?: boolean } = {},
): ArgoCdStandIn {
  const controller = new AbortController();
  const { signal } = controller;
  const generated: string[] = [];
  const deleted: ArgoCdStandIn['deleted'] = [];
  const live = new Map<string, string[]>();
  const discovery = new Discovery(client);

  /** Applies Paddock's objects as Argo CD; returns the paths of those it may delete (not CRDs). */
  const deployPaddock = async (application: string): Promise<string[]> => {
    const values = deepMerge(
      readMap(join(repoDir, 'catalog', 'values', 'paddock.yaml')),
      readMap(join(repoDir, 'infra', 'paddock.yaml')),
    ) as YamlMap;
    const manifest = installManifest(
      paddockInstallValues(values),
      await detectCapabilities(client),
    );
    const owned: string[] = [];
    for (const object of [...manifest.crds, ...manifest.objects] as KubeObject[]) {
      const path = await discovery.pathOf(object);
      if (typeof path !== 'string') continue;
      const [group = ''] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [];
      const tracking = `${application}:${group}/${object.kind}:${object.metadata.namespace ?? ''}/${object.metadata.name}`;
      await client.request('PATCH', path, {
        query: { fieldManager: ARGOCD_MANAGER, force: true },
        body: {
          ...object,
          metadata: {
            ...object.metadata,
            annotations: { ...object.metadata.annotations, [TRACKING_ANNOTATION]: tracking },
          },
        },
        contentType: 'application/apply-patch+yaml',
        signal,
      });
      if (object.kind !== 'CustomResourceDefinition') owned.push(path);
    }
    return owned;
  };

  const remove = async (name: string) => {
    const app = await client.request<{ spec?: { syncPolicy?: { syncOptions?: string[] } } }>(
      'GET',
      `${BASE}/applications/${name}`,
      { signal },
    );
    const isCascading = !(app.spec?.syncPolicy?.syncOptions ?? []).includes(KEEP_ON_DELETE);
    if (isCascading) {
      for (const path of live.get(name) ?? []) {
        await client.request('DELETE', path, { signal }).catch((error: unknown) => {
          if (!isPaddockError(error, ErrorCode.NotFound)) throw error;
        });
      }
    }
    await client.request('DELETE', `${BASE}/applications/${name}`, { signal });
    live.delete(name);
    deleted.push({ application: name, isCascading });
  };

  const reconcile = async (set: AppSet) => {
    const template = set.spec?.template as
      | { spec?: { syncPolicy?: { syncOptions?: string[] } } }
      | undefined;
    const entries = catalogEntries(repoDir);
    for (const entry of entries.filter((e) => e.enabled)) {
      const name = `catalog-${entry.name}`;
      if (live.has(name)) continue;
      generated.push(name);
      live.set(name, []);
      const syncOptions = (template?.spec?.syncPolicy?.syncOptions ?? []).map((o) =>
        renderTemplateString(o, entry),
      );
      await client.request('POST', `${BASE}/applications`, {
        body: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name, namespace: 'argocd' },
          spec: {
            project: 'paddock',
            source: { repoURL: 'git://stand-in/gitops', path: entry.name, targetRevision: 'main' },
            destination: { server: 'https://kubernetes.default.svc', namespace: entry.namespace },
            syncPolicy: { syncOptions },
          },
        },
        signal,
      });
      for (const [i, state] of STATES.entries()) {
        if (i === 1 && options.isDeploying && entry.name === 'paddock') {
          live.set(name, await deployPaddock(name));
        }
        await client.request('PATCH', `${BASE}/applications/${name}`, {
          body: {
            status: { sync: { status: state.sync }, health: { status: state.health } },
          },
          contentType: 'application/merge-patch+json',
          signal,
        });
      }
    }
    for (const name of [...live.keys()]) {
      if (!entries.some((e) => e.enabled && `catalog-${e.name}` === name)) await remove(name);
    }
    // As Argo CD, it removes the refresh annotation once it has read the repository.
    if (set.metadata.annotations?.[REFRESH] !== undefined) {
      await client.request('PATCH', `${BASE}/applicationsets/${set.metadata.name}`, {
        body: { metadata: { annotations: { [REFRESH]: null } } },
        contentType: 'application/merge-patch+json',
        signal,
      });
    }
  };

  const run = (async () => {
    const list = await client.request<{
      metadata?: { resourceVersion?: string };
      items?: AppSet[];
    }>('GET', `${BASE}/applicationsets`, { signal });
    const catalog = list.items?.find((s) => s.metadata.name === 'paddock-catalog');
    if (catalog !== undefined) await reconcile(catalog);
    for await (const event of client.watch(
      `${BASE}/applicationsets`,
      { resourceVersion: list.metadata?.resourceVersion },
      signal,
    )) {
      const set = event.object as AppSet;
      if (event.type !== 'DELETED' && set.metadata?.name === 'paddock-catalog') {
        await reconcile(set);
      }
    }
  })().then(
    () => undefined,
    (error: unknown) => (signal.aborted ? undefined : error),
  );
  return {
    generated,
    deleted,
    stop: async () => {
      controller.abort();
      const failure = await run;
      if (failure !== undefined) throw failure;
    },
  };
}
