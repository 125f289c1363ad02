/**
 * The verbs of the Kubernetes API on Paddock's kinds. Each calls what the REST handlers call
 * (`createResource`, `replaceResource`, `deleteResource`, `getVisible`, the store's list and
 * watch with the visibility rule of `@paddock/control`); this file only reads Kubernetes'
 * parameters and shapes Kubernetes' answers.
 */
import { findObject, isVisible, requireAdmin, requireVisibleObject } from '@paddock/control';
import { type AnyResource, API_VERSION, ErrorCode, type Kind, PaddockError } from '@paddock/core';
import {
  createResource,
  deleteResource,
  getVisible,
  replaceResource,
} from '../handlers/resources.ts';
import { readBody } from '../http/body.ts';
import type { HandlerCall } from '../server-deps.ts';
import { matchesFields, parseFieldSelector } from './field-selector.ts';
import { jsonPatch, mergePatch } from './json-patch.ts';
import { fromKube, parseManifestBody, parseObjectBody, toKube } from './kube-objects.ts';
import type { ResourcePath } from './kube-path.ts';
import { includeObjectOf, toTable, wantsTable } from './kube-table.ts';
import { serveWatch } from './kube-watch.ts';
import { MANAGED_FIELDS_ANNOTATION, recordUpdate, withManagedFields } from './managed-fields.ts';
import { applyManifest } from './server-side-apply.ts';

/** What a verb answers: a body and its status, or nothing (it streamed). */
export type KubeReply = { status: number; body: unknown } | { status: number; isStreamed: true };

const ok = (body: unknown, status = 200): KubeReply => ({ status, body });

export const PatchType = {
  Json: 'application/json-patch+json',
  Merge: 'application/merge-patch+json',
  Apply: 'application/apply-patch+yaml',
  ApplyJson: 'application/apply-patch+json',
  Strategic: 'application/strategic-merge-patch+json',
} as const;

function invalidParam(name: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${name}: ${message}`, {
    issues: [{ path: name, message }],
  });
}

function isDryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const value of values) {
    if (value !== 'All') throw invalidParam('dryRun', `"${value}" is not All`);
  }
  return values.length > 0;
}

function positiveInt(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalidParam(name, 'must be a whole number ≥ 0');
  return value;
}

/** `fieldManager`, else the client's name from its User-Agent, as the API server defaults it. */
function managerOf(call: HandlerCall, query: URLSearchParams): string {
  const given = query.get('fieldManager');
  if (given !== null && given !== '') return given;
  const agent = call.req.headers['user-agent']?.split('/')[0]?.trim();
  return agent === undefined || agent === '' ? 'unknown' : agent;
}

const audit = (call: HandlerCall, kind: Kind, verb: string, path: ResourcePath) => {
  call.ctx.audit.action = `${kind.toLowerCase()}.${verb}`;
  call.ctx.audit.target = {
    kind,
    ...(path.namespace === undefined ? {} : { namespace: path.namespace }),
    ...(path.name === undefined ? {} : { name: path.name }),
  };
};

export type VerbCall = {
  call: HandlerCall;
  path: ResourcePath;
  query: URLSearchParams;
  maxBodyBytes: number;
};

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

async function list(v: VerbCall): Promise<KubeReply> {
  const { call, path, query } = v;
  const fields = parseFieldSelector(query.get('fieldSelector') ?? undefined);
  const labelSelector = query.get('labelSelector') || undefined;
  if (query.get('watch') === 'true' || query.get('watch') === '1') {
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

function requireVersion(object: AnyResource): void {
  if (object.metadata.resourceVersion === undefined || object.metadata.resourceVersion === '') {
    throw invalidParam('metadata.resourceVersion', 'must be specified for an update');
  }
}

/** A new state of the object (spec and metadata) stored as the REST API's update stores it. */
async function writeSpec(v: VerbCall, current: AnyResource, next: AnyResource, verb: string) {
  const { call, path, query } = v;
  audit(call, path.kind, verb, path);
  const entries = recordUpdate(current, next, managerOf(call, query), API_VERSION, Date.now());
  const updated = await replaceResource(
    call,
    path.kind,
    withManagedFields(next, entries),
    path.namespace,
    path.name ?? '',
    current,
    { isDryRun: isDryRunOf(query) },
  );
  return toKube(updated);
}

/** A new status: the controller's to write, so admins only (users read it). */
async function writeStatus(v: VerbCall, current: AnyResource, next: AnyResource) {
  const { call, path } = v;
  audit(call, path.kind, 'status', path);
  requireAdmin(call.principal, `writing the status of ${path.kind} ${path.name}`);
  const resource = {
    ...current,
    metadata: { ...current.metadata, resourceVersion: next.metadata.resourceVersion },
    status: next.status,
  } as AnyResource;
  if (isDryRunOf(v.query)) return toKube(resource);
  return toKube(await call.deps.engine.store.updateStatus(resource));
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

function contentTypeOf(v: VerbCall): string {
  return v.call.req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
}

async function patch(v: VerbCall): Promise<KubeReply> {
  const type = contentTypeOf(v);
  if (type === PatchType.Apply || type === PatchType.ApplyJson) return apply(v);
  if (type !== PatchType.Json && type !== PatchType.Merge) {
    const message =
      type === PatchType.Strategic
        ? 'strategic merge patch is not served for custom resources: use --type=merge or --type=json'
        : `must be ${PatchType.Json}, ${PatchType.Merge} or ${PatchType.Apply}`;
    throw invalidParam('(content-type)', message);
  }
  const bytes = await readBody(v.call.req, v.maxBodyBytes);
  const body =
    type === PatchType.Json ? JSON.parse(bytes.toString('utf8') || 'null') : parseObjectBody(bytes);
  const { call, path } = v;
  // A patch that names no resourceVersion applies to the latest: retried when it loses a race.
  for (let attempt = 1; ; attempt++) {
    const current = await getVisible(call, path.kind, path.namespace, path.name ?? '');
    const patched = (type === PatchType.Json ? jsonPatch : mergePatch)(toKube(current), body);
    if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) {
      throw invalidParam('(body)', 'the patched object is not an object');
    }
    const next = fromKube(
      path.kind,
      patched as Record<string, unknown>,
      current.metadata.annotations?.[MANAGED_FIELDS_ANNOTATION],
    );
    try {
      if (path.subresource === 'status') return ok(await writeStatus(v, current, next));
      return ok(await writeSpec(v, current, next, 'patch'));
    } catch (error) {
      const pinned = next.metadata.resourceVersion !== current.metadata.resourceVersion;
      const isConflict = error instanceof PaddockError && error.code === ErrorCode.Conflict;
      if (!isConflict || pinned || attempt >= 5) throw error;
    }
  }
}

async function apply(v: VerbCall): Promise<KubeReply> {
  const { call, path, query } = v;
  if (path.subresource === 'status') {
    throw invalidParam(
      '(content-type)',
      'server-side apply of the status subresource is not served',
    );
  }
  audit(call, path.kind, 'apply', path);
  const fieldManager = query.get('fieldManager');
  if (fieldManager === null || fieldManager === '') {
    throw invalidParam('fieldManager', 'is required for apply patch');
  }
  const force = query.get('force');
  if (force !== null && force !== 'true' && force !== 'false') {
    throw invalidParam('force', 'must be true or false');
  }
  const manifest = parseManifestBody(await readBody(call.req, v.maxBodyBytes));
  const name = path.name ?? '';
  const checked = fromKube(path.kind, manifest, undefined);
  if (checked.metadata.name !== undefined && checked.metadata.name !== name) {
    throw invalidParam('metadata.name', `must be "${name}" (the path's)`);
  }
  const key = { ...(path.namespace === undefined ? {} : { namespace: path.namespace }), name };
  const current = await findObject(call.deps.engine.store, path.kind, key);
  if (current !== undefined) requireVisibleObject(call.principal, current);
  const { object, entries } = applyManifest(current, manifest, {
    manager: fieldManager,
    isForced: force === 'true',
    apiVersion: API_VERSION,
    nowMs: Date.now(),
  });
  const next = withManagedFields(
    fromKube(
      path.kind,
      { ...object, metadata: { ...(object.metadata as object), name } },
      undefined,
    ),
    entries,
  );
  const isDryRun = isDryRunOf(query);
  if (current === undefined) {
    return ok(
      toKube(await createResource(call, path.kind, next, path.namespace, { isDryRun })),
      201,
    );
  }
  const updated = await replaceResource(call, path.kind, next, path.namespace, name, current, {
    isDryRun,
  });
  return ok(toKube(updated));
}

async function remove(v: VerbCall): Promise<KubeReply> {
  const { call, path, query } = v;
  audit(call, path.kind, 'delete', path);
  const bytes = await readBody(call.req, v.maxBodyBytes);
  const options = bytes.length === 0 ? {} : parseObjectBody(bytes);
  const policy = query.get('propagationPolicy') ?? options.propagationPolicy;
  if (policy !== undefined && policy !== null && policy !== 'Background') {
    throw invalidParam(
      'propagationPolicy',
      `${String(policy)} is not served: Paddock deletes in the background (the objects a controller made for this one go with it through its finalizer)`,
    );
  }
  const dryRun = Array.isArray(options.dryRun) ? options.dryRun : [];
  const isDryRun = isDryRunOf(query) || dryRun.includes('All');
  const preconditions = (options.preconditions ?? {}) as { uid?: string; resourceVersion?: string };
  const name = path.name ?? '';
  if (preconditions.uid !== undefined) {
    const current = await getVisible(call, path.kind, path.namespace, name);
    if (current.metadata.uid !== preconditions.uid) {
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
    details: { name, group: 'paddock.dev', kind: path.kind, uid: result.object.metadata.uid },
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
