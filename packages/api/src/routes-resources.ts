import { KIND_NAMES, KINDS, type Kind, NamespaceName, ResourceName, Scope } from '@paddock/core';
import { z } from 'zod';
import { DeleteQuery, deleteResultOf, kindListSchema, ListQuery, watchEventOf } from './list.ts';
import { type AnyRoute, defineRoute, json, sse } from './route.ts';

/** The media type of server-side apply (as Kubernetes, but the body is always a full manifest). */
export const APPLY_CONTENT_TYPE = 'application/apply-patch+json';

export const NamespaceParams = z.strictObject({ namespace: NamespaceName });
export const NamespacedNameParams = z.strictObject({
  namespace: NamespaceName,
  name: ResourceName,
});
export const ClusterParams = z.strictObject({});
export const ClusterNameParams = z.strictObject({ name: ResourceName });

/** Collection path of a kind: `/api/v1/namespaces/{namespace}/sandboxes` or `/api/v1/clusterpolicies`. */
export function collectionPath(kind: Kind): string {
  const { plural, scope } = KINDS[kind];
  return scope === Scope.Namespaced
    ? `/api/v1/namespaces/{namespace}/${plural}`
    : `/api/v1/${plural}`;
}

/** Item path of a kind: the collection path plus `/{name}`. */
export function itemPath(kind: Kind): string {
  return `${collectionPath(kind)}/{name}`;
}

/**
 * The CRUD operations of one kind, operationIds `<verb><Kind>`:
 * - `list` (GET collection; `watch=true` streams `WatchEvent`s as SSE), and for namespaced kinds
 *   `listAll` (GET `/api/v1/{plural}`, every namespace the caller may see);
 * - `create` (POST collection, 201; `metadata.namespace` defaults to the path's, a different one
 *   is `validation_failed`; `metadata.generateName` works);
 * - `get`; `replace` (PUT: labels, annotations, finalizers and spec; `metadata.resourceVersion`
 *   given = optimistic concurrency, stale → 409 with `details.currentResourceVersion`);
 * - `apply` (PATCH with `application/apply-patch+json`, body a full manifest: created when absent
 *   → 201, else replaced as by `replace` without a precondition → 200; what `paddock apply -f` does);
 * - `delete` (`?resourceVersion=` precondition; `terminating` while finalizers remain).
 */
export function resourceRoutes<K extends Kind>(kind: K) {
  const { schema, scope, plural } = KINDS[kind];
  const isNamespaced = scope === Scope.Namespaced;
  const collection = collectionPath(kind);
  const item = itemPath(kind);
  const collectionParams = isNamespaced ? NamespaceParams : ClusterParams;
  const itemParams = isNamespaced ? NamespacedNameParams : ClusterNameParams;
  const where = isNamespaced ? ' in a namespace' : '';
  const tags = [kind] as const;
  const auth = 'required' as const;
  const listResponse = [
    {
      status: 200,
      description: `A ${kind}List; with watch=true a text/event-stream of watch events`,
      content: [json(kindListSchema(kind)), sse(watchEventOf(schema))],
    },
  ] as const;
  return {
    list: defineRoute({
      operationId: `list${kind}`,
      method: 'GET',
      path: collection,
      summary: `List ${plural}${where}`,
      tags,
      auth,
      params: collectionParams,
      query: ListQuery,
      responses: listResponse,
    }),
    listAll: isNamespaced
      ? defineRoute({
          operationId: `list${kind}ForAllNamespaces`,
          method: 'GET',
          path: `/api/v1/${plural}`,
          summary: `List ${plural} in every namespace the caller may see`,
          tags,
          auth,
          params: ClusterParams,
          query: ListQuery,
          responses: listResponse,
        })
      : undefined,
    create: defineRoute({
      operationId: `create${kind}`,
      method: 'POST',
      path: collection,
      summary: `Create a ${kind}`,
      tags,
      auth,
      params: collectionParams,
      body: json(schema),
      responses: [{ status: 201, description: `The created ${kind}`, content: [json(schema)] }],
    }),
    get: defineRoute({
      operationId: `get${kind}`,
      method: 'GET',
      path: item,
      summary: `Read a ${kind}`,
      tags,
      auth,
      params: itemParams,
      responses: [{ status: 200, description: `The ${kind}`, content: [json(schema)] }],
    }),
    replace: defineRoute({
      operationId: `replace${kind}`,
      method: 'PUT',
      path: item,
      summary: `Replace a ${kind}'s metadata and spec (optimistic concurrency on resourceVersion)`,
      tags,
      auth,
      params: itemParams,
      body: json(schema),
      responses: [{ status: 200, description: `The updated ${kind}`, content: [json(schema)] }],
    }),
    apply: defineRoute({
      operationId: `apply${kind}`,
      method: 'PATCH',
      path: item,
      summary: `Server-side apply: create the ${kind} or update it from a full manifest`,
      tags,
      auth,
      params: itemParams,
      body: { type: 'json', schema, contentType: APPLY_CONTENT_TYPE },
      responses: [
        { status: 200, description: `The ${kind}, updated or unchanged`, content: [json(schema)] },
        { status: 201, description: `The ${kind}, created`, content: [json(schema)] },
      ],
    }),
    delete: defineRoute({
      operationId: `delete${kind}`,
      method: 'DELETE',
      path: item,
      summary: `Delete a ${kind} (kept as terminating while finalizers remain)`,
      tags,
      auth,
      params: itemParams,
      query: DeleteQuery,
      responses: [
        {
          status: 200,
          description: `The ${kind}: deleted, or terminating`,
          content: [json(deleteResultOf(schema))],
        },
      ],
    }),
  };
}

export type ResourceRoutes<K extends Kind> = ReturnType<typeof resourceRoutes<K>>;

/** CRUD routes of every kind in the `KINDS` registry, by kind. */
export const RESOURCE_ROUTES = Object.fromEntries(
  KIND_NAMES.map((kind) => [kind, resourceRoutes(kind)]),
) as { [K in Kind]: ResourceRoutes<K> };

/** The same, flat, in registry order. */
export const resourceRouteList: readonly AnyRoute[] = KIND_NAMES.flatMap((kind) => {
  const { listAll, ...rest } = RESOURCE_ROUTES[kind];
  const routes: AnyRoute[] = Object.values(rest);
  if (listAll) routes.splice(1, 0, listAll);
  return routes;
});
