/**
 * Applies an installation with server-side apply (field manager `paddock-install`): the CRDs
 * first, waited for until Established, then every object in order; `upgrade` also deletes what
 * the release owned (by label) and no longer renders; `uninstall` deletes the release's objects
 * and keeps CRDs and data unless asked to purge. Each step is reported with its duration.
 */
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import type { CustomResourceDefinition } from '../crds/crds.ts';
import { CRDS, isEstablished } from '../crds/install.ts';
import { INSTALL_KINDS, type InstallKind, kindPath, objectPathOf } from './install-kinds.ts';
import { INSTALL_FIELD_MANAGER, type KubeObject, releaseSelector } from './install-meta.ts';
import { MONITORING_API } from './monitoring.ts';
import type { ClusterCapabilities, InstallManifest } from './render.ts';

const APPLY = 'application/apply-patch+yaml';

export type ApplyOptions = {
  /** One line per step: what, and how long it took. */
  log: (line: string) => void;
  /** Send every write with `dryRun=All`: the server checks, nothing is stored. */
  isDryRun?: boolean;
  /** How long to wait for CRDs and Deployments (default 5 minutes). */
  timeoutMs?: number;
  /** Wait for the Deployments to be available (default true). */
  isWaiting?: boolean;
  signal?: AbortSignal;
};

/** What the cluster serves that `auto` values depend on: prometheus-operator's kinds. */
export async function detectCapabilities(client: KubeClient): Promise<ClusterCapabilities> {
  try {
    const list = await client.request<{ resources?: Array<{ kind: string; name: string }> }>(
      'GET',
      `/apis/${MONITORING_API}`,
    );
    return {
      monitoringKinds: new Set(
        (list.resources ?? []).filter((r) => !r.name.includes('/')).map((r) => r.kind),
      ),
    };
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) return { monitoringKinds: new Set() };
    throw error;
  }
}

async function step<T>(log: ApplyOptions['log'], what: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  log(`${what} (${formatMs(performance.now() - started)})`);
  return result;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function query(options: ApplyOptions) {
  return {
    fieldManager: INSTALL_FIELD_MANAGER,
    force: true,
    ...(options.isDryRun ? { dryRun: 'All' } : {}),
  };
}

/** Applies the CRDs and waits until each is Established (not in a dry run). */
export async function applyCrds(
  client: KubeClient,
  crds: readonly CustomResourceDefinition[],
  options: ApplyOptions,
): Promise<void> {
  await step(options.log, `applied ${crds.length} CRDs`, () =>
    Promise.all(
      crds.map((crd) =>
        client.request('PATCH', `${CRDS}/${crd.metadata.name}`, {
          query: query(options),
          body: crd,
          contentType: APPLY,
        }),
      ),
    ),
  );
  if (options.isDryRun) return;
  await step(options.log, 'CRDs established', async () => {
    for (const crd of crds) {
      await until(options, `CRD ${crd.metadata.name} Established`, () =>
        isEstablished(client, crd.metadata.name),
      );
    }
  });
}

/** Applies one object; returns what the server holds. */
export function applyObject(
  client: KubeClient,
  object: KubeObject,
  options: Pick<ApplyOptions, 'isDryRun'> = {},
): Promise<KubeObject> {
  return client.request<KubeObject>('PATCH', objectPathOf(object), {
    query: query({ log: () => {}, ...options }),
    body: object,
    contentType: APPLY,
  });
}

/**
 * Installs or upgrades: CRDs, then the objects in order, then (with `prune`) deletes the
 * objects the release owned that the manifest no longer holds, then waits for the Deployments.
 */
export async function applyInstall(
  client: KubeClient,
  manifest: InstallManifest,
  release: string,
  options: ApplyOptions & { prune?: boolean },
): Promise<void> {
  await applyCrds(client, manifest.crds, options);
  for (const object of manifest.objects) {
    const where = object.metadata.namespace ? ` in ${object.metadata.namespace}` : '';
    await step(options.log, `applied ${object.kind} ${object.metadata.name}${where}`, () =>
      applyObject(client, object, options),
    );
  }
  if (options.prune) await pruneRelease(client, manifest.objects, release, options);
  if (options.isWaiting ?? true) {
    for (const deployment of manifest.objects.filter((o) => o.kind === 'Deployment')) {
      await waitAvailable(client, deployment, options);
    }
  }
}

type Listed = { metadata: { name: string; namespace?: string } };

/** The release's objects of each kind the server serves (kinds it does not serve are skipped). */
export async function releaseObjects(
  client: KubeClient,
  release: string,
  kinds: readonly InstallKind[] = INSTALL_KINDS,
): Promise<Array<{ kind: InstallKind; name: string; namespace?: string }>> {
  const found: Array<{ kind: InstallKind; name: string; namespace?: string }> = [];
  for (const kind of kinds) {
    let items: Listed[];
    try {
      items =
        (
          await client.request<{ items?: Listed[] }>('GET', kindPath(kind), {
            query: { labelSelector: releaseSelector(release) },
          })
        ).items ?? [];
    } catch (error) {
      if (isPaddockError(error, ErrorCode.NotFound)) continue;
      throw error;
    }
    for (const item of items) {
      found.push({
        kind,
        name: item.metadata.name,
        ...(item.metadata.namespace ? { namespace: item.metadata.namespace } : {}),
      });
    }
  }
  return found;
}

const keyOf = (kind: string, namespace: string | undefined, name: string) =>
  `${kind}/${namespace ?? ''}/${name}`;

/** Deletes the release's objects that `objects` no longer holds (never a Namespace). */
export async function pruneRelease(
  client: KubeClient,
  objects: readonly KubeObject[],
  release: string,
  options: ApplyOptions,
): Promise<void> {
  const kept = new Set(objects.map((o) => keyOf(o.kind, o.metadata.namespace, o.metadata.name)));
  // Never a Namespace (deleting one deletes the data in it), nor the server's data volume.
  const kinds = INSTALL_KINDS.filter(
    (k) => k.kind !== 'Namespace' && k.kind !== 'PersistentVolumeClaim',
  );
  for (const found of (await releaseObjects(client, release, kinds)).reverse()) {
    if (kept.has(keyOf(found.kind.kind, found.namespace, found.name))) continue;
    await step(options.log, `pruned ${found.kind.kind} ${found.name}`, () =>
      deleteObject(client, kindPath(found.kind, found.namespace, found.name), options),
    );
  }
}

async function deleteObject(client: KubeClient, path: string, options: ApplyOptions) {
  try {
    await client.request('DELETE', path, {
      query: options.isDryRun ? { dryRun: 'All' } : {},
      body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
    });
  } catch (error) {
    if (!isPaddockError(error, ErrorCode.NotFound)) throw error;
  }
}

/**
 * Deletes the release's objects, newest kinds first. CRDs (and with them every Paddock object),
 * the Namespace and the data in it (workspaces, credentials) stay unless `purge`.
 */
export async function uninstall(
  client: KubeClient,
  release: string,
  crds: readonly CustomResourceDefinition[],
  options: ApplyOptions & { purge?: boolean },
): Promise<void> {
  // The server's data volume is data: kept, like the Namespace, unless purging.
  const kinds = INSTALL_KINDS.filter(
    (k) => options.purge || (k.kind !== 'Namespace' && k.kind !== 'PersistentVolumeClaim'),
  );
  for (const found of (await releaseObjects(client, release, kinds)).reverse()) {
    await step(options.log, `deleted ${found.kind.kind} ${found.name}`, () =>
      deleteObject(client, kindPath(found.kind, found.namespace, found.name), options),
    );
  }
  if (!options.purge) {
    options.log('kept the CRDs, Paddock objects and their data (--purge deletes them)');
    return;
  }
  for (const crd of crds) {
    await step(options.log, `deleted CRD ${crd.metadata.name}`, () =>
      deleteObject(client, `${CRDS}/${crd.metadata.name}`, options),
    );
  }
}

type DeploymentStatus = {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status: string }>;
  };
};

/** Waits until the Deployment's current version is rolled out and available. */
async function waitAvailable(client: KubeClient, deployment: KubeObject, options: ApplyOptions) {
  const path = objectPathOf(deployment);
  let last = '';
  await step(options.log, `Deployment ${deployment.metadata.name} available`, () =>
    until(options, `Deployment ${deployment.metadata.name} available`, async () => {
      const d = await client.request<DeploymentStatus>('GET', path);
      const want = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      const progress = `${s.updatedReplicas ?? 0}/${want} updated, ${s.availableReplicas ?? 0} available`;
      if (progress !== last) options.log(`  ${deployment.metadata.name}: ${progress}`);
      last = progress;
      return (
        (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
        (s.updatedReplicas ?? 0) >= want &&
        (s.availableReplicas ?? 0) >= want &&
        (s.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True')
      );
    }),
  );
}

async function until(
  options: ApplyOptions,
  what: string,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 300_000);
  for (let delayMs = 50; ; delayMs = Math.min(delayMs * 2, 2000)) {
    if (await check()) return;
    if (performance.now() > deadline) {
      throw new PaddockError(ErrorCode.RuntimeUnavailable, `timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    options.signal?.throwIfAborted();
  }
}
