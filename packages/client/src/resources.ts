import {
  ErrorCode,
  KINDS,
  type Kind,
  PaddockError,
  type ResourceOf,
  Scope,
  type WatchEvent,
} from '@paddock/core';
import type { Caller } from './call.ts';
import type { DeleteResult, KindInput, ResourceList } from './operations.ts';
import type { RequestInput, RequestOptions } from './transport.ts';

/** Per-call options of resource methods; `namespace` is ignored for cluster-scoped kinds. */
export type ScopeOptions = RequestOptions & { namespace?: string };

export type ListOptions = ScopeOptions & {
  labelSelector?: string;
  /** Kubernetes field selector; the server serves `metadata.name=<name>` (that object only). */
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** Namespaced kinds: every namespace the caller may see. */
  allNamespaces?: boolean;
};

export type WatchOptions = ScopeOptions & {
  labelSelector?: string;
  /** `metadata.name=<name>`: that object's changes only (see `ListOptions.fieldSelector`). */
  fieldSelector?: string;
  /** Start after this store version (a list's `metadata.resourceVersion`). */
  resourceVersion?: string;
  allNamespaces?: boolean;
};

/** CRUD and watch of one kind. Errors are `PaddockError`s with the server's code. */
export type ResourceClient<K extends Kind> = {
  list(options?: ListOptions): Promise<ResourceList<K>>;
  get(name: string, options?: ScopeOptions): Promise<ResourceOf<K>>;
  /** `metadata.namespace`, else `options.namespace`, else the client's namespace. */
  create(resource: KindInput<K>, options?: ScopeOptions): Promise<ResourceOf<K>>;
  /** Optimistic concurrency when `metadata.resourceVersion` is set (stale → `conflict`). */
  replace(resource: KindInput<K>, options?: ScopeOptions): Promise<ResourceOf<K>>;
  /** Server-side apply: created when absent, else labels, annotations and spec replaced. */
  apply(resource: KindInput<K>, options?: ScopeOptions): Promise<ResourceOf<K>>;
  delete(
    name: string,
    options?: ScopeOptions & { resourceVersion?: string },
  ): Promise<DeleteResult<K>>;
  /** ADDED/MODIFIED/DELETED events until aborted; resumes after drops with `Last-Event-ID`. */
  watch(options?: WatchOptions): AsyncIterable<WatchEvent<ResourceOf<K>>>;
};

type UntypedCaller = {
  call(id: string, input: RequestInput): Promise<unknown>;
  stream(id: string, input: RequestInput): AsyncIterable<unknown>;
};

export function resourceClient<K extends Kind>(
  caller: Caller,
  kind: K,
  defaultNamespace: string,
): ResourceClient<K> {
  const untyped = caller as unknown as UntypedCaller;
  const isNamespaced = KINDS[kind].scope === Scope.Namespaced;
  const collection = (options: { namespace?: string } | undefined) =>
    isNamespaced ? { namespace: options?.namespace ?? defaultNamespace } : {};
  const item = (name: string, options: { namespace?: string } | undefined) => ({
    ...collection(options),
    name,
  });
  const fromManifest = (resource: KindInput<K>, options: ScopeOptions | undefined) => {
    const metadata: { name?: string | undefined; namespace?: string | undefined } =
      resource.metadata ?? {};
    const namespace = metadata.namespace ?? options?.namespace;
    return { namespace, name: metadata.name };
  };
  const named = (resource: KindInput<K>, options: ScopeOptions | undefined, verb: string) => {
    const { namespace, name } = fromManifest(resource, options);
    if (!name) {
      throw new PaddockError(
        ErrorCode.ValidationFailed,
        `${verb} ${kind}: metadata.name is required`,
        {
          issues: [{ path: 'metadata.name', message: 'is required' }],
        },
      );
    }
    return item(name, namespace === undefined ? {} : { namespace });
  };
  const request = ({ signal, timeoutMs, headers }: RequestOptions = {}): RequestOptions => ({
    ...(signal && { signal }),
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(headers && { headers }),
  });
  const listId = (all: boolean | undefined) =>
    isNamespaced && all ? `list${kind}ForAllNamespaces` : `list${kind}`;
  return {
    list: (options) => {
      const { labelSelector, fieldSelector, limit, continue: token } = options ?? {};
      return untyped.call(listId(options?.allNamespaces), {
        ...request(options),
        params: options?.allNamespaces ? {} : collection(options),
        query: { labelSelector, fieldSelector, limit, continue: token },
      }) as Promise<ResourceList<K>>;
    },
    get: (name, options) =>
      untyped.call(`get${kind}`, { ...request(options), params: item(name, options) }) as never,
    create: (resource, options) => {
      const { namespace } = fromManifest(resource, options);
      return untyped.call(`create${kind}`, {
        ...request(options),
        params: collection(namespace === undefined ? {} : { namespace }),
        body: resource,
      }) as never;
    },
    replace: (resource, options) =>
      untyped.call(`replace${kind}`, {
        ...request(options),
        params: named(resource, options, 'replace'),
        body: resource,
      }) as never,
    apply: (resource, options) =>
      untyped.call(`apply${kind}`, {
        ...request(options),
        params: named(resource, options, 'apply'),
        body: resource,
      }) as never,
    delete: (name, options) =>
      untyped.call(`delete${kind}`, {
        ...request(options),
        params: item(name, options),
        query: { resourceVersion: options?.resourceVersion },
      }) as never,
    watch: (options) =>
      untyped.stream(listId(options?.allNamespaces), {
        ...request(options),
        params: options?.allNamespaces ? {} : collection(options),
        query: {
          watch: true,
          labelSelector: options?.labelSelector,
          fieldSelector: options?.fieldSelector,
          resourceVersion: options?.resourceVersion,
        },
      }) as AsyncIterable<WatchEvent<ResourceOf<K>>>,
  };
}
