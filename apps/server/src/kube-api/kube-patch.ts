/**
 * PATCH on the Kubernetes API: JSON patch and merge patch of the object as this API shows it
 * (retried when it loses a race, unless it names a resourceVersion), and server-side apply.
 */
import { findObject, requireVisibleObject } from '@paddock/control';
import { API_VERSION, ErrorCode, PaddockError } from '@paddock/core';
import { createResource, getVisible, replaceResource } from '../handlers/resources.ts';
import { readBody } from '../http/body.ts';
import { jsonPatch, mergePatch } from './json-patch.ts';
import { fromKube, parseManifestBody, parseObjectBody, toKube } from './kube-objects.ts';
import { unsupportedMediaType } from './kube-status.ts';
import {
  audit,
  invalidParam,
  isDryRunOf,
  type KubeReply,
  ok,
  type VerbCall,
  writeSpec,
  writeStatus,
} from './kube-verb-call.ts';
import { MANAGED_FIELDS_ANNOTATION, withManagedFields } from './managed-fields.ts';
import { applyManifest } from './server-side-apply.ts';

export const PatchType = {
  Json: 'application/json-patch+json',
  Merge: 'application/merge-patch+json',
  Apply: 'application/apply-patch+yaml',
  ApplyJson: 'application/apply-patch+json',
} as const;

function contentTypeOf(v: VerbCall): string {
  return v.call.req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
}

export async function patch(v: VerbCall): Promise<KubeReply> {
  const type = contentTypeOf(v);
  if (type === PatchType.Apply || type === PatchType.ApplyJson) return apply(v);
  if (type !== PatchType.Json && type !== PatchType.Merge) {
    // As a cluster answers a strategic merge patch of a custom resource: 415, which kubectl
    // prints as is (use `kubectl patch --type=merge` or `--type=json`).
    v.call.req.resume();
    const accepted = [PatchType.Json, PatchType.Merge, PatchType.Apply];
    return { status: 415, body: unsupportedMediaType(accepted) };
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
