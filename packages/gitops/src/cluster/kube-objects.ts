/**
 * Server-side apply of arbitrary objects (field manager `paddock-cluster`) to whatever API server
 * the kubeconfig names, each kind looked up in the server's discovery first: a kind the server
 * does not serve (core/v1 on a CRD-only server, Argo CD's kinds before Argo CD is installed) is
 * skipped with that reason instead of failing the whole bootstrap.
 */
import { ErrorCode, isPaddockError } from '@paddock/core';
import type { KubeClient } from '@paddock/kube';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
};

export const FIELD_MANAGER = 'paddock-cluster';

type Resource = { name: string; kind: string; namespaced: boolean };

/** What one apply did: applied, or skipped with the reason. */
export type ApplyOutcome =
  | { object: string; result: 'applied' }
  | { object: string; result: 'skipped'; reason: string };

export function describe(object: KubeObject): string {
  const where = object.metadata.namespace ? ` in ${object.metadata.namespace}` : '';
  return `${object.kind} ${object.metadata.name}${where}`;
}

/** Looks up kinds in the API server's discovery, once per group version. */
export class Discovery {
  readonly #client: KubeClient;
  readonly #groups = new Map<string, Promise<Resource[] | undefined>>();

  constructor(client: KubeClient) {
    this.#client = client;
  }

  /** The resource serving `kind` of `apiVersion`, or undefined when the server does not serve it. */
  async resource(apiVersion: string, kind: string): Promise<Resource | undefined> {
    let found = this.#groups.get(apiVersion);
    if (found === undefined) {
      found = this.#load(apiVersion);
      this.#groups.set(apiVersion, found);
    }
    return (await found)?.find((r) => r.kind === kind && !r.name.includes('/'));
  }

  async #load(apiVersion: string): Promise<Resource[] | undefined> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    try {
      const list = await this.#client.request<{ resources?: Resource[] }>('GET', path);
      return list.resources ?? [];
    } catch (error) {
      if (isPaddockError(error, ErrorCode.NotFound)) return undefined;
      throw error;
    }
  }

  /** The object's path, or why it cannot be written here. */
  async pathOf(
    object: KubeObject,
    name = object.metadata.name,
  ): Promise<string | { reason: string }> {
    const resource = await this.resource(object.apiVersion, object.kind);
    if (resource === undefined) {
      return { reason: `the API server does not serve ${object.kind} (${object.apiVersion})` };
    }
    const base = object.apiVersion.includes('/')
      ? `/apis/${object.apiVersion}`
      : `/api/${object.apiVersion}`;
    const namespace = resource.namespaced
      ? `/namespaces/${object.metadata.namespace ?? 'default'}`
      : '';
    return `${base}${namespace}/${resource.name}/${encodeURIComponent(name)}`;
  }
}

/** Applies each object in order (server-side, forced); kinds not served are skipped with why. */
export async function applyServed(
  client: KubeClient,
  objects: readonly KubeObject[],
  options: { discovery?: Discovery; onOutcome?: (outcome: ApplyOutcome) => void } = {},
): Promise<ApplyOutcome[]> {
  const discovery = options.discovery ?? new Discovery(client);
  const outcomes: ApplyOutcome[] = [];
  for (const object of objects) {
    const path = await discovery.pathOf(object);
    let outcome: ApplyOutcome;
    if (typeof path === 'string') {
      await client.request('PATCH', path, {
        query: { fieldManager: FIELD_MANAGER, force: true },
        body: object,
        contentType: 'application/apply-patch+yaml',
      });
      outcome = { object: describe(object), result: 'applied' };
    } else {
      outcome = { object: describe(object), result: 'skipped', reason: path.reason };
    }
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  }
  return outcomes;
}
