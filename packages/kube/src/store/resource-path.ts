import {
  API_VERSION,
  ErrorCode,
  isKind,
  KINDS,
  type Kind,
  PaddockError,
  Scope,
} from '@paddock/core';

/** `validation_failed` for one field of a request: `invalid request: limit: must be …`. */
export function invalidField(path: string, message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `invalid request: ${path}: ${message}`, {
    issues: [{ path, message }],
  });
}

/** Rejects a kind Paddock does not serve (`validation_failed`). */
export function checkKind(kind: string): Kind {
  if (!isKind(kind)) throw invalidField('kind', `unknown kind "${kind}"`);
  return kind;
}

/**
 * The namespace of a request for `kind`: required (non-empty) for namespaced kinds, refused for
 * cluster-scoped ones (then undefined). `field` names the offending field in the error.
 */
export function scopedNamespace(
  kind: Kind,
  namespace: string | undefined,
  field: string,
): string | undefined {
  const isNamespaced = KINDS[kind].scope === Scope.Namespaced;
  if (isNamespaced && (namespace === undefined || namespace === '')) {
    throw invalidField(field, `is required: ${kind} is namespaced`);
  }
  if (!isNamespaced && namespace !== undefined && namespace !== '') {
    throw invalidField(field, `must not be set: ${kind} is cluster-scoped`);
  }
  return isNamespaced ? namespace : undefined;
}

/**
 * The REST path of `kind`'s collection (in `namespace`, or across namespaces when absent), of one
 * object when `name` is given, and of its subresource: `/apis/paddock.dev/v1alpha1/namespaces/team-a/sandboxes/s1/status`.
 */
export function resourcePath(
  kind: Kind,
  namespace: string | undefined,
  name?: string,
  subresource?: 'status',
): string {
  let path = `/apis/${API_VERSION}`;
  if (namespace !== undefined) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${KINDS[kind].plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/** `Kind ns/name` or `Kind name`, for messages. */
export function describeObject(kind: Kind, namespace: string | undefined, name: string): string {
  return namespace === undefined ? `${kind} ${name}` : `${kind} ${namespace}/${name}`;
}
