/**
 * Reading and writing the objects of a sandbox through `KubeClient`: server-side apply under one
 * field manager (forced: the runtime owns these objects), get that answers undefined for a
 * missing object, list by label selector, delete with a uid precondition (never a newer object of
 * the same name) and foreground propagation.
 */
import { ErrorCode, isPaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import { type AddressedObject, type ApiResource, objectPath, resourcePath } from './api-paths.ts';

export const FIELD_MANAGER = 'paddock-controller';
const APPLY_PATCH = 'application/apply-patch+yaml';
const MERGE_PATCH = 'application/merge-patch+json';

export type KubeItem = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    ownerReferences?: Array<{ kind?: string; name?: string; uid?: string; controller?: boolean }>;
  };
};

type Resource = Pick<ApiResource, 'apiVersion' | 'plural'>;

export class ObjectApi {
  readonly #client: KubeClient;
  readonly #fieldManager: string;

  constructor(client: KubeClient, fieldManager = FIELD_MANAGER) {
    this.#client = client;
    this.#fieldManager = fieldManager;
  }

  /** Server-side apply of `object` (JSON is YAML); returns what the server holds then. */
  apply<T extends AddressedObject>(object: T): Promise<T> {
    return this.#client.request<T>('PATCH', objectPath(object), {
      query: { fieldManager: this.#fieldManager, force: true },
      body: object,
      contentType: APPLY_PATCH,
    });
  }

  /** A JSON merge patch of one object (`null` removes a field). */
  mergePatch(
    resource: Resource,
    namespace: string,
    name: string,
    patch: unknown,
  ): Promise<unknown> {
    return this.#client.request('PATCH', resourcePath(resource, namespace, name), {
      query: { fieldManager: this.#fieldManager },
      body: patch,
      contentType: MERGE_PATCH,
    });
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeItem>(
    resource: Resource,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.#client.request<T>('GET', resourcePath(resource, namespace, name));
    } catch (error) {
      if (isPaddockError(error, ErrorCode.NotFound)) return undefined;
      throw error;
    }
  }

  /** Objects matching `labelSelector` in `namespace` (every namespace when undefined). */
  async list<T extends KubeItem>(
    resource: Resource,
    namespace: string | undefined,
    labelSelector: string,
  ): Promise<T[]> {
    const answer = await this.#client.request<{ items?: T[] }>(
      'GET',
      resourcePath(resource, namespace),
      {
        query: { labelSelector },
      },
    );
    return answer.items ?? [];
  }

  /** Deletes the object if it still has `uid` (foreground); a missing one is no error. */
  async delete(resource: Resource, namespace: string, name: string, uid: string): Promise<void> {
    try {
      await this.#client.request('DELETE', resourcePath(resource, namespace, name), {
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: 'Foreground',
          preconditions: { uid },
        },
      });
    } catch (error) {
      // Gone already, or replaced by a newer object of that name (the uid precondition failed).
      if (isPaddockError(error, ErrorCode.NotFound) || isPaddockError(error, ErrorCode.Conflict))
        return;
      throw error;
    }
  }
}
