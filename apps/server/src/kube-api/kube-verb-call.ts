/**
 * One request on a Paddock resource path of the Kubernetes API, and what every verb shares:
 * Kubernetes' query parameters read (`dryRun`, `fieldManager`, whole numbers), the audit note,
 * and the two writes (spec and metadata as the REST API's update; status for the controllers).
 */
import { requireAdmin } from '@paddock/control';
import { type AnyResource, API_VERSION, ErrorCode, type Kind, PaddockError } from '@paddock/core';
import { replaceResource } from '../handlers/resources.ts';
import type { HandlerCall } from '../server-deps.ts';
import { toKube } from './kube-objects.ts';
import type { ResourcePath } from './kube-path.ts';
import { recordUpdate, withManagedFields } from './managed-fields.ts';

export type KubeReply = { status: number; body: unknown } | { status: number; isStreamed: true };

export const ok = (body: unknown, status = 200): KubeReply => ({ status, body });

export function invalidParam(name: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `${name}: ${message}`, {
    issues: [{ path: name, message }],
  });
}

export function isDryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const value of values) {
    if (value !== 'All') throw invalidParam('dryRun', `"${value}" is not All`);
  }
  return values.length > 0;
}

export function positiveInt(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalidParam(name, 'must be a whole number ≥ 0');
  return value;
}

/** `fieldManager`, else the client's name from its User-Agent, as the API server defaults it. */
export function managerOf(call: HandlerCall, query: URLSearchParams): string {
  const given = query.get('fieldManager');
  if (given !== null && given !== '') return given;
  const agent = call.req.headers['user-agent']?.split('/')[0]?.trim();
  return agent === undefined || agent === '' ? 'unknown' : agent;
}

export const audit = (call: HandlerCall, kind: Kind, verb: string, path: ResourcePath) => {
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

export function requireVersion(object: AnyResource): void {
  if (object.metadata.resourceVersion === undefined || object.metadata.resourceVersion === '') {
    throw invalidParam('metadata.resourceVersion', 'must be specified for an update');
  }
}

/** A new state of the object (spec and metadata) stored as the REST API's update stores it. */
export async function writeSpec(
  v: VerbCall,
  current: AnyResource,
  next: AnyResource,
  verb: string,
) {
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
export async function writeStatus(v: VerbCall, current: AnyResource, next: AnyResource) {
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
