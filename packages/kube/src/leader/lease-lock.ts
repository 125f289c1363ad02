import type { KubeClient } from '../client/kube-client.ts';

/** The spec of a `coordination.k8s.io/v1` Lease (times are MicroTime: RFC 3339, microseconds). */
export type LeaseSpec = {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
};

export type Lease = {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; uid?: string };
  spec?: LeaseSpec;
};

/** A time as a Kubernetes MicroTime: `2026-01-02T15:04:05.123000Z`. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * One Lease object read and written with optimistic concurrency: `update` sends the
 * resourceVersion it read, so of two writers from the same read only one succeeds.
 */
export class LeaseLock {
  readonly namespace: string;
  readonly name: string;
  readonly #client: KubeClient;

  constructor(client: KubeClient, namespace: string, name: string) {
    this.#client = client;
    this.namespace = namespace;
    this.name = name;
  }

  /** The collection path (for create and watch). */
  get collection(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
  }

  get path(): string {
    return `${this.collection}/${encodeURIComponent(this.name)}`;
  }

  /** The Lease, or a `not_found` error. */
  get(signal: AbortSignal): Promise<Lease> {
    return this.#client.request<Lease>('GET', this.path, { signal });
  }

  /** Creates the Lease (`already_exists` when another candidate was first). */
  create(spec: LeaseSpec, signal: AbortSignal): Promise<Lease> {
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec,
    };
    return this.#client.request<Lease>('POST', this.collection, { body, signal });
  }

  /** Replaces the spec of `current` (`conflict` when the Lease changed since it was read). */
  update(current: Lease, spec: LeaseSpec, signal: AbortSignal): Promise<Lease> {
    const body: Lease = { ...current, spec };
    return this.#client.request<Lease>('PUT', this.path, { body, signal });
  }
}
