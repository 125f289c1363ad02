/**
 * The verbs of the Kubernetes API on Paddock's kinds. Each calls what the REST handlers call
 * (`createResource`, `replaceResource`, `deleteResource`, `getVisible`, the store's list and
 * watch with the visibility rule of `@paddock/control`); these files only read Kubernetes'
 * parameters and shape Kubernetes' answers.
 */
import { isVisible } from '@paddock/control';
import {
  type AnyResource,
  API_GROUP,
  API_VERSION,
  ErrorCode,
  isPaddockError,
  KINDS,
  PaddockError,
  parseLabelSelector,
} from '@paddock/core';
import { createResource, deleteResource, getVisible } from '../handlers/resources.ts';
import { readBody } from '../http/body.ts';
import { matchesFields, parseFieldSelector } from './field-selector.ts';
import { fromKube, parseObjectBody, toKube } from './kube-objects.ts';
import { patch } from './kube-patch.ts';
import { badRequest } from './kube-status.ts';
import { includeObjectOf, toTable, wantsTable } from './kube-table.ts';
import {
  audit,
  isDryRunOf,
  type KubeReply,
  managerOf,
  ok,
  positiveInt,
  requireVersion,
  type VerbCall,
  writeSpec,
  writeStatus,
} from './kube-verb-call.ts';
import { serveWatch } from './kube-watch.ts';
import { MANAGED_FIELDS_ANNOTATION, recordUpdate, withManagedFields } from './managed-fields.ts';
import {
  PropagationPolicy,
  propagationPolicyOf,
  requireServedPolicy,
} from './propagation-policy.ts';

export type { KubeReply, VerbCall } from './kube-verb-call.ts';

function present(v: VerbCall, object: AnyResource, listMeta?: Record<string, string>) {
  const accept = v.call.req.headers.accept;
  if (!wantsTable(accept)) return toKube(object);
  return toTable(
    v.path.kind,
    [toKube(object)],
    includeObjectOf(v.query.get('includeObject')),
    listMeta,
  );
}

/** A list or a watch; a query it cannot read is 400 BadRequest, as on a cluster. */
async function list(v: VerbCall): Promise<KubeReply> {
  try {
    return await listOrWatch(v);
  } catch (error) {
    if (!isPaddockError(error, ErrorCode.ValidationFailed) || v.call.res.headersSent) throw error;
    return { status: 400, body: badRequest(error.message) };
  }
}

async function listOrWatch(v: VerbCall): Promise<KubeReply> {
  const { call, path, query } = v;
  const fields = parseFieldSelector(query.get('fieldSelector') ?? undefined);
  const labelSelector = query.get('labelSelector') || undefined;
  if (query.get('watch') === 'true' || query.get('watch') === '1') {
    // Read before the stream starts: a selector it cannot read is a 400, not an ERROR event.
    if (labelSelector !== undefined) parseLabelSelector(labelSelector);
    const timeoutSeconds = positiveInt(query, 'timeoutSeconds');
    const isTable = wantsTable(call.req.headers.accept);
    const include = includeObjectOf(query.get('includeObject'));
    await serveWatch(call, {
      kind: path.kind,
      namespace: path.namespace,
      labelSelector,
      fields,
      resourceVersion: query.get('resourceVersion') ?? undefined,
      isBookmarkAllowed: query.get('allowWatchBookmarks') === 'true',
      isInitialEventsAsked: query.get('sendInitialEvents') === 'true',
      timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      present: (object) =>
        isTable ? toTable(path.kind, [toKube(object)], include) : toKube(object),
    });
    return { status: 200, isStreamed: true };
  }
  const limit = positiveInt(query, 'limit');
  const page = await call.deps.engine.store.list(path.kind, {
    ...(path.namespace === undefined ? {} : { namespace: path.namespace }),
    ...(labelSelector === undefined ? {} : { labelSelector }),
    ...(limit === undefined || limit === 0 ? {} : { limit }),
    ...(query.get('continue') ? { continue: query.get('continue') ?? '' } : {}),
  });
  // As on REST, a page of a user's list may come back shorter than `limit`: filtering follows paging.
  const items = page.items
    .filter((item) => isVisible(call.principal, item) && matchesFields(item, fields))
    .map((item) => toKube(item));
  const metadata = {
    resourceVersion: page.resourceVersion,
    ...(page.continue === undefined ? {} : { continue: page.continue }),
  };
  if (wantsTable(call.req.headers.accept)) {
    return ok(toTable(path.kind, items, includeObjectOf(query.get('includeObject')), metadata));
  }
  return ok({ apiVersion: API_VERSION, kind: `${path.kind}List`, metadata, items });
}

async function create(v: VerbCall): Promise<KubeReply> {
  const { call, path, query } = v;
  audit(call, path.kind, 'create', path);
  const body = parseObjectBody(await readBody(call.req, v.maxBodyBytes));
  // The name the body gives goes into the audit target, and from there into an error's Status.
  const name = (body.metadata as { name?: unknown } | undefined)?.name;
  if (typeof name === 'string' && name !== '') audit(call, path.kind, 'create', { ...path, name });
  const object = fromKube(path.kind, body, undefined);
  const entries = recordUpdate(undefined, object, managerOf(call, query), API_VERSION, Date.now());
  const created = await createResource(
    call,
    path.kind,
    withManagedFields(object, entries),
    path.namespace,
    { isDryRun: isDryRunOf(query) },
  );
  return ok(toKube(created), 201);
}

async function update(v: VerbCall, current: AnyResource): Promise<KubeReply> {
  const body = parseObjectBody(await readBody(v.call.req, v.maxBodyBytes));
  const next = fromKube(
    v.path.kind,
    body,
    current.metadata.annotations?.[MANAGED_FIELDS_ANNOTATION],
  );
  requireVersion(next);
  if (v.path.subresource === 'status') return ok(await writeStatus(v, current, next));
  return ok(await writeSpec(v, current, next, 'update'));
}

async function remove(v: VerbCall): Promise<KubeReply> {
  const { call, path, query } = v;
  audit(call, path.kind, 'delete', path);
  const bytes = await readBody(call.req, v.maxBodyBytes);
  const options = bytes.length === 0 ? {} : parseObjectBody(bytes);
  const policy = propagationPolicyOf(query, options);
  const dryRun = Array.isArray(options.dryRun) ? options.dryRun : [];
  const isDryRun = isDryRunOf(query) || dryRun.includes('All');
  const preconditions = (options.preconditions ?? {}) as { uid?: string; resourceVersion?: string };
  const name = path.name ?? '';
  if (preconditions.uid !== undefined || policy !== PropagationPolicy.Background) {
    const current = await getVisible(call, path.kind, path.namespace, name);
    await requireServedPolicy(call.deps.engine.store, current, policy);
    if (preconditions.uid !== undefined && current.metadata.uid !== preconditions.uid) {
      throw new PaddockError(
        ErrorCode.Conflict,
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
  }
  const result = await deleteResource(call, path.kind, path.namespace, name, {
    isDryRun,
    resourceVersion: preconditions.resourceVersion,
  });
  if (result.status === 'terminating' || isDryRun) return ok(toKube(result.object));
  return ok({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name,
      group: API_GROUP,
      kind: KINDS[path.kind].plural,
      uid: result.object.metadata.uid,
    },
  });
}

/** Serves one request on a Paddock resource path. */
export async function serveResource(v: VerbCall, method: string): Promise<KubeReply> {
  const { call, path } = v;
  if (path.name === undefined) {
    if (method === 'GET') return list(v);
    if (method === 'POST') return create(v);
    throw new PaddockError(ErrorCode.MethodNotAllowed, `${method} is not served on a collection`);
  }
  switch (method) {
    case 'GET': {
      const object = await getVisible(call, path.kind, path.namespace, path.name);
      return ok(present(v, object));
    }
    case 'PUT':
      return update(v, await getVisible(call, path.kind, path.namespace, path.name));
    case 'PATCH':
      return patch(v);
    case 'DELETE':
      if (path.subresource !== undefined) break;
      return remove(v);
    default:
      break;
  }
  throw new PaddockError(ErrorCode.MethodNotAllowed, `${method} is not served here`);
}
