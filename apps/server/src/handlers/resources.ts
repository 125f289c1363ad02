import { APPLY_CONTENT_TYPE, RESOURCE_ROUTES } from '@paddock/api';
import {
  admitDelete,
  admitWrite,
  findObject,
  isVisible,
  requireManageable,
  requireVisibleObject,
  withOwner,
  withSandboxFinalizer,
} from '@paddock/control';
import {
  type AnyResource,
  API_VERSION,
  ErrorCode,
  KIND_NAMES,
  KINDS,
  type Kind,
  PaddockError,
  Scope,
} from '@paddock/core';
import { json, type Reply } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import type { HandlerCall } from '../server-deps.ts';
import { watchResources } from './watch.ts';

type ListInput = {
  labelSelector?: string | undefined;
  fieldSelector?: { name: string } | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
  watch?: boolean | undefined;
  resourceVersion?: string | undefined;
};

const actionOf = (kind: Kind, verb: string) => `${kind.toLowerCase()}.${verb}`;

async function list(
  call: HandlerCall,
  kind: Kind,
  namespace: string | undefined,
  query: ListInput,
): Promise<Reply> {
  const { store } = call.deps.engine;
  const scope = namespace === undefined ? {} : { namespace };
  const name = query.fieldSelector?.name;
  if (query.watch) return watchResources(call, kind, { ...scope, ...query, name });
  const page = await store.list(kind, {
    ...scope,
    ...(query.labelSelector === undefined ? {} : { labelSelector: query.labelSelector }),
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...(query.continue === undefined ? {} : { continue: query.continue }),
  });
  return json({
    apiVersion: API_VERSION,
    kind: `${kind}List`,
    metadata: {
      resourceVersion: page.resourceVersion,
      ...(page.continue === undefined ? {} : { continue: page.continue }),
    },
    // A page of a user's list may come back shorter than `limit`: filtering follows paging.
    items: page.items.filter(
      (item) =>
        isVisible(call.principal, item) && (name === undefined || item.metadata.name === name),
    ),
  });
}

/** Path namespace wins; a body naming another one is refused. Cluster kinds carry none. */
function placed(kind: Kind, body: AnyResource, namespace: string | undefined, name?: string) {
  const issues: Array<{ path: string; message: string }> = [];
  if (KINDS[kind].scope === Scope.Namespaced) {
    const given = body.metadata.namespace;
    if (given !== undefined && given !== namespace) {
      issues.push({ path: 'metadata.namespace', message: `must be "${namespace}" (the path's)` });
    }
  } else if (body.metadata.namespace !== undefined) {
    issues.push({ path: 'metadata.namespace', message: `${kind} is cluster-scoped` });
  }
  if (name !== undefined && body.metadata.name !== undefined && body.metadata.name !== name) {
    issues.push({ path: 'metadata.name', message: `must be "${name}" (the path's)` });
  }
  if (issues.length > 0) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      issues.map((i) => `${i.path}: ${i.message}`).join('; '),
      { issues },
    );
  }
  const metadata = {
    ...body.metadata,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
  };
  return { ...body, metadata } as AnyResource;
}

/**
 * What admission reads: the store, the credentials index, the day's spend, and the controller's
 * cache to count the sandboxes holding quota and to read template chains from (a list of the
 * store would read and decode every Sandbox, or every template, on each create).
 */
function admissionDeps(call: HandlerCall) {
  const { store, credentials, spentToday, controller } = call.deps.engine;
  return { store, credentials, spentToday, controllerCache: controller.cache };
}

/** `isDryRun`: placed, owned and admitted, not stored (the Kubernetes API's `dryRun=All`). */
export type WriteOptions = { isDryRun?: boolean };

/** Creates an object as the REST API does: placed, owned, admitted, then stored. */
export async function createResource(
  call: HandlerCall,
  kind: Kind,
  body: AnyResource,
  namespace?: string,
  options: WriteOptions = {},
) {
  const { status: _status, ...rest } = placed(kind, body, namespace);
  const resource = withSandboxFinalizer(withOwner(call.principal, rest as AnyResource));
  call.ctx.audit.target = {
    kind,
    ...(namespace === undefined ? {} : { namespace }),
    ...(resource.metadata.name === undefined ? {} : { name: resource.metadata.name }),
  };
  const started = performance.now();
  await admitWrite(admissionDeps(call), call.principal, resource);
  if (options.isDryRun) {
    // What the write would answer: a name taken is AlreadyExists, as the store's create says.
    const { name } = resource.metadata;
    const key = { ...(namespace === undefined ? {} : { namespace }), name: name ?? '' };
    if (name !== undefined && (await findObject(call.deps.engine.store, kind, key)) !== undefined) {
      const where = namespace === undefined ? name : `${namespace}/${name}`;
      throw new PaddockError(ErrorCode.AlreadyExists, `${kind} ${where} already exists`);
    }
    return resource;
  }
  const created = await call.deps.engine.store.create(resource);
  if (kind === 'Sandbox')
    call.deps.metrics.createLatency.observe((performance.now() - started) / 1000);
  call.ctx.audit.target = { ...call.ctx.audit.target, name: created.metadata.name ?? '' };
  return created;
}

/** The object, when the caller may see it; `not_found` otherwise (as if it did not exist). */
export async function getVisible(
  call: HandlerCall,
  kind: Kind,
  namespace: string | undefined,
  name: string,
) {
  const object = await call.deps.engine.store.get(kind, {
    ...(namespace === undefined ? {} : { namespace }),
    name,
  });
  requireVisibleObject(call.principal, object);
  return object;
}

/** Replaces an object as the REST API does: its owner kept, the change admitted, then stored. */
export async function replaceResource(
  call: HandlerCall,
  kind: Kind,
  body: AnyResource,
  namespace: string | undefined,
  name: string,
  current: AnyResource,
  options: WriteOptions = {},
) {
  const { status: _status, ...rest } = placed(kind, body, namespace, name);
  // The owner never changes through an update: the stored one is kept.
  const resource = withOwner(call.principal, rest as AnyResource, current);
  await admitWrite(admissionDeps(call), call.principal, resource, current);
  if (options.isDryRun) {
    // What the write would answer: a stale resourceVersion is a conflict, as the store's update.
    const given = resource.metadata.resourceVersion;
    const stored = current.metadata.resourceVersion ?? '';
    if (given !== undefined && given !== stored) {
      throw new PaddockError(
        ErrorCode.Conflict,
        `${kind} ${namespace === undefined ? name : `${namespace}/${name}`} has been modified: resourceVersion ${given} is not the current ${stored}; read it again and retry`,
        { currentResourceVersion: stored },
      );
    }
    return { ...resource, status: current.status } as AnyResource;
  }
  return call.deps.engine.store.update(resource);
}

/** Deletes an object as the REST API does: visible, manageable, admitted, then deleted. */
export async function deleteResource(
  call: HandlerCall,
  kind: Kind,
  namespace: string | undefined,
  name: string,
  options: WriteOptions & { resourceVersion?: string | undefined } = {},
) {
  const current = await getVisible(call, kind, namespace, name);
  requireManageable(call.principal, current);
  await admitDelete(call.deps.engine.store, current);
  if (options.isDryRun) return { status: 'deleted' as const, object: current };
  const key = { ...(namespace === undefined ? {} : { namespace }), name };
  return call.deps.engine.store.delete(
    kind,
    key,
    options.resourceVersion === undefined ? {} : { resourceVersion: options.resourceVersion },
  );
}

function resourceHandlers(kind: Kind): RouteHandler[] {
  const routes = RESOURCE_ROUTES[kind];
  const nsOf = (params: { namespace?: string; name?: string }) => params.namespace;
  const handlers: RouteHandler[] = [
    on(routes.list, (call, { params, query }) => list(call, kind, nsOf(params), query)),
    on(
      routes.create,
      async (call, { params, body }) =>
        json(await createResource(call, kind, body as AnyResource, nsOf(params)), 201),
      { action: actionOf(kind, 'create') },
    ),
    on(routes.get, async (call, { params }) =>
      json(await getVisible(call, kind, nsOf(params), params.name)),
    ),
    on(
      routes.replace,
      async (call, { params, body }) => {
        const current = await getVisible(call, kind, nsOf(params), params.name);
        return json(
          await replaceResource(
            call,
            kind,
            body as AnyResource,
            nsOf(params),
            params.name,
            current,
          ),
        );
      },
      { action: actionOf(kind, 'update') },
    ),
    on(
      routes.apply,
      async (call, { params, body }) => {
        const type = call.req.headers['content-type']?.split(';')[0]?.trim();
        if (type !== APPLY_CONTENT_TYPE) {
          throw new PaddockError(
            ErrorCode.ValidationFailed,
            `PATCH needs Content-Type: ${APPLY_CONTENT_TYPE}`,
            {
              issues: [{ path: '(content-type)', message: `must be ${APPLY_CONTENT_TYPE}` }],
            },
          );
        }
        const manifest = body as AnyResource;
        const key = {
          ...(nsOf(params) === undefined ? {} : { namespace: nsOf(params) }),
          name: params.name,
        };
        const current = await findObject(call.deps.engine.store, kind, key);
        if (current === undefined) {
          const withName = {
            ...manifest,
            metadata: { ...manifest.metadata, name: params.name },
          } as AnyResource;
          return json(await createResource(call, kind, withName, nsOf(params)), 201);
        }
        // Another's object is `not_found`, as for a get: never created over, never revealed.
        requireVisibleObject(call.principal, current);
        const { resourceVersion: _rv, ...metadata } = manifest.metadata;
        const unconditional = { ...manifest, metadata } as AnyResource;
        return json(
          await replaceResource(call, kind, unconditional, nsOf(params), params.name, current),
        );
      },
      { action: actionOf(kind, 'apply') },
    ),
    on(
      routes.delete,
      async (call, { params, query }) =>
        json(
          await deleteResource(call, kind, nsOf(params), params.name, {
            resourceVersion: query.resourceVersion,
          }),
        ),
      { action: actionOf(kind, 'delete') },
    ),
  ];
  if (routes.listAll) {
    handlers.push(on(routes.listAll, (call, { query }) => list(call, kind, undefined, query)));
  }
  return handlers;
}

/** CRUD, apply and watch of every kind. */
export const resourceRouteHandlers: RouteHandler[] = KIND_NAMES.flatMap(resourceHandlers);
