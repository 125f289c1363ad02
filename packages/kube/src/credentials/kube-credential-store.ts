import {
  assertCredentialValue,
  Credential,
  type CredentialInput,
  type CredentialSecret,
  type CredentialStore,
  ErrorCode,
  isPaddockError,
  PaddockError,
  parseInput,
  ResourceName,
  SYSTEM_NAMESPACE,
} from '@paddock/core';
import { z } from 'zod';
import type { KubeClient } from '../client/kube-client.ts';
import {
  CredentialSecretObject,
  credentialOf,
  credentialSecret,
  credentialSecretName,
  credentialSelector,
  secretValue,
} from './credential-secret.ts';

export type KubeCredentialStoreOptions = {
  /** The namespace whose Secrets hold the credentials: the server's own (default `paddock-system`). */
  namespace?: string;
};

/** Writes lost to a concurrent writer (409 Conflict) are retried this many times in all. */
const ATTEMPTS = 5;
const PAGE_SIZE = 500;

const SecretList = z.object({
  metadata: z.object({ continue: z.string().optional() }).default({}),
  items: z.array(CredentialSecretObject),
});

const what = (namespace: string, name: string) => `credential ${namespace}/${name}`;

/**
 * Credentials as Kubernetes Secrets (see `CredentialStore` in @paddock/core for the contract):
 * one Secret per credential in one namespace (`options.namespace`), named
 * `credential.<namespace>.<name>`, of type `paddock.dev/credential`, labelled
 * `app.kubernetes.io/managed-by: paddock`, `paddock.dev/credential-namespace` and
 * `paddock.dev/credential-name`; type, description, owner and timestamps in `paddock.dev/…`
 * annotations; the value in `data.value`. The value is protected as the cluster protects
 * Secrets (encryption at rest when the API server is configured for it, RBAC on the namespace);
 * this store adds no key of its own. Nothing is requested before the first call, so a server
 * starts on an API server without Secrets until a credential is used. A Secret edited into
 * something that is not a credential is `internal` (on `get`, `list`, `delete` and a replacing
 * `put`, which never overwrites a Secret that is not a credential); a create in a namespace the
 * API server does not have, and a create or list on an API server without Secrets, are
 * `runtime_unavailable` (a `get` there finds nothing); other errors are the client's
 * (`forbidden` without RBAC, …).
 */
export class KubeCredentialStore implements CredentialStore {
  readonly namespace: string;
  readonly #client: KubeClient;
  readonly #collection: string;

  constructor(client: KubeClient, options: KubeCredentialStoreOptions = {}) {
    this.#client = client;
    this.namespace = parseInput(
      ResourceName,
      options.namespace ?? SYSTEM_NAMESPACE,
      'credentials namespace',
    );
    this.#collection = `/api/v1/namespaces/${this.namespace}/secrets`;
  }

  async put(
    input: CredentialInput,
    value: Uint8Array,
    options: { replace?: boolean } = {},
  ): Promise<Credential> {
    const parsed = parseInput(Credential, input, 'credential');
    assertCredentialValue(value);
    const { namespace, name } = parsed;
    const alreadyExists = () =>
      new PaddockError(ErrorCode.AlreadyExists, `${what(namespace, name)} already exists`, {
        namespace,
        name,
      });
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const existing = options.replace === true ? await this.#read(namespace, name) : undefined;
      try {
        if (existing === undefined) {
          await this.#write(
            'POST',
            this.#collection,
            credentialSecret(parsed, value, this.namespace),
          );
          return parsed;
        }
        const before = credentialOf(existing, { namespace, name });
        const credential = { ...parsed, createdAt: before.createdAt };
        const secret = credentialSecret(
          credential,
          value,
          this.namespace,
          existing.metadata.resourceVersion,
        );
        await this.#write('PUT', `${this.#collection}/${existing.metadata.name}`, secret);
        return credential;
      } catch (error) {
        if (isPaddockError(error, ErrorCode.AlreadyExists)) {
          if (options.replace !== true) throw alreadyExists();
          continue; // made since we looked: replace it
        }
        if (
          isPaddockError(error, ErrorCode.Conflict) ||
          isPaddockError(error, ErrorCode.NotFound)
        ) {
          continue; // changed or deleted since we read it: read again
        }
        throw error;
      }
    }
    throw new PaddockError(
      ErrorCode.Conflict,
      `${what(namespace, name)} kept changing while it was replaced; try again`,
      { namespace, name },
    );
  }

  async get(namespace: string, name: string): Promise<CredentialSecret | undefined> {
    const secret = await this.#read(namespace, name);
    if (secret === undefined) return undefined;
    return { credential: credentialOf(secret, { namespace, name }), value: secretValue(secret) };
  }

  async list(namespace?: string): Promise<Credential[]> {
    if (namespace !== undefined && !ResourceName.safeParse(namespace).success) return [];
    const credentials: Credential[] = [];
    let next: string | undefined;
    do {
      const page = SecretList.parse(
        await this.#request('GET', this.#collection, {
          query: { labelSelector: credentialSelector(namespace), limit: PAGE_SIZE, continue: next },
        }),
      );
      for (const secret of page.items) credentials.push(credentialOf(secret));
      next = page.metadata.continue || undefined;
    } while (next !== undefined);
    return credentials.sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name));
  }

  async delete(namespace: string, name: string): Promise<Credential> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const secret = await this.#read(namespace, name);
      if (secret === undefined) break;
      const credential = credentialOf(secret, { namespace, name });
      try {
        // Deletes the Secret that was read, not one replaced since.
        await this.#request('DELETE', `${this.#collection}/${secret.metadata.name}`, {
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            preconditions: {
              uid: secret.metadata.uid,
              resourceVersion: secret.metadata.resourceVersion,
            },
          },
        });
        return credential;
      } catch (error) {
        if (isPaddockError(error, ErrorCode.Conflict)) continue;
        if (isPaddockError(error, ErrorCode.NotFound)) break;
        throw error;
      }
    }
    throw new PaddockError(ErrorCode.NotFound, `${what(namespace, name)} not found`, {
      namespace,
      name,
    });
  }

  /** The client belongs to the caller: nothing to close here. */
  async close(): Promise<void> {}

  /** The Secret of `namespace/name`, or `undefined` when there is none (or cannot be one). */
  async #read(namespace: string, name: string): Promise<CredentialSecretObject | undefined> {
    const secretName = credentialSecretName(namespace, name);
    if (secretName === undefined) return undefined;
    try {
      return CredentialSecretObject.parse(
        await this.#client.request('GET', `${this.#collection}/${secretName}`),
      );
    } catch (error) {
      if (isPaddockError(error, ErrorCode.NotFound)) return undefined;
      throw error;
    }
  }

  async #write(method: 'POST' | 'PUT', path: string, body: Record<string, unknown>): Promise<void> {
    try {
      await this.#client.request(method, path, { body });
    } catch (error) {
      // A create answered 404: the namespace is missing, or the server serves no Secrets.
      if (method === 'POST' && isPaddockError(error, ErrorCode.NotFound)) throw this.#unavailable();
      throw error;
    }
  }

  async #request(
    method: string,
    path: string,
    init: Parameters<KubeClient['request']>[2],
  ): Promise<unknown> {
    try {
      return await this.#client.request(method, path, init);
    } catch (error) {
      if (method === 'GET' && isPaddockError(error, ErrorCode.NotFound)) throw this.#unavailable();
      throw error;
    }
  }

  #unavailable(): PaddockError {
    return new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `the Kubernetes API keeps no credentials here: it has no namespace ${this.namespace}, or serves no Secrets`,
      { namespace: this.namespace },
    );
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
