/**
 * Whether the API server serves the kinds a sandbox needs, asked once per group-version through
 * discovery (`GET /api/v1`, `GET /apis/<group>/<version>`) before anything is written, so a
 * server that cannot run pods (one serving CRDs alone, as the development test server) is told
 * apart from a missing namespace or object: `runtime_unavailable` naming what is missing, and
 * nothing half-applied. Answers that a kind is served are kept; a missing one is asked again next
 * time (an API may be installed meanwhile).
 */
import { ErrorCode, isPaddockError, PaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import { type ApiResource, groupVersionPath } from './api-paths.ts';

type Discovery = { resources?: Array<{ name: string }> };

export class ApiDiscovery {
  readonly #client: KubeClient;
  readonly #served = new Map<string, Set<string>>();

  constructor(client: KubeClient) {
    this.#client = client;
  }

  /** Whether `resource` is served (a failure to ask other than 404 is thrown). */
  async isServed(resource: Pick<ApiResource, 'apiVersion' | 'plural'>): Promise<boolean> {
    const known = this.#served.get(resource.apiVersion);
    if (known?.has(resource.plural)) return true;
    let answer: Discovery;
    try {
      answer = await this.#client.request<Discovery>('GET', groupVersionPath(resource.apiVersion));
    } catch (error) {
      if (isPaddockError(error, ErrorCode.NotFound)) return false;
      throw error;
    }
    const names = new Set((answer.resources ?? []).map((r) => r.name));
    this.#served.set(resource.apiVersion, names);
    return names.has(resource.plural);
  }

  /** `runtime_unavailable` listing every resource of `resources` the server does not serve. */
  async require(
    resources: ReadonlyArray<Pick<ApiResource, 'apiVersion' | 'plural'>>,
  ): Promise<void> {
    const missing: string[] = [];
    for (const resource of resources) {
      if (!(await this.isServed(resource)))
        missing.push(`${resource.plural} (${resource.apiVersion})`);
    }
    if (missing.length > 0) {
      throw new PaddockError(
        ErrorCode.RuntimeUnavailable,
        `the Kubernetes API server does not serve ${missing.join(', ')}: sandboxes need a whole cluster (core/v1 pods, networking.k8s.io/v1 network policies), not a server of CRDs alone`,
        { missing },
      );
    }
  }
}
