import { ErrorCode, isKind, KINDS, type Kind, PaddockError, Scope } from '@paddock/core';

/** Where a row lives: `namespace` is '' for cluster-scoped kinds. */
export type RowKey = { kind: Kind; namespace: string; name: string };

function invalid(message: string, path: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, message, { issues: [{ path, message }] });
}

/** `validation_failed` for one field of a request: `invalid request: limit: must be …`. */
export function invalidField(path: string, message: string): PaddockError {
  return invalid(`invalid request: ${path}: ${message}`, path);
}

/** Rejects a kind the store does not serve (`validation_failed`). */
export function checkKind(kind: string): Kind {
  if (!isKind(kind)) throw invalid(`unknown kind "${kind}"`, 'kind');
  return kind;
}

/**
 * The row namespace for a kind: a namespaced kind requires one, a cluster-scoped kind refuses one.
 * `path` names the offending field in the error (`metadata.namespace`, `namespace`).
 */
export function rowNamespace(kind: Kind, namespace: string | undefined, path: string): string {
  if (KINDS[kind].scope === Scope.Namespaced) {
    if (namespace === undefined || namespace === '') {
      throw invalid(`${kind} is namespaced: ${path} is required`, path);
    }
    return namespace;
  }
  if (namespace !== undefined && namespace !== '') {
    throw invalid(`${kind} is cluster-scoped: ${path} must not be set`, path);
  }
  return '';
}

/** The row key of `{namespace, name}` for `kind`, checked against its scope. */
export function rowKey(kind: Kind, key: { namespace?: string; name: string }): RowKey {
  if (key.name === '') throw invalid(`${kind}: name is required`, 'name');
  return { kind, namespace: rowNamespace(kind, key.namespace, 'namespace'), name: key.name };
}

/** `Kind ns/name` or `Kind name`, for messages. */
export function describeKey(key: RowKey): string {
  return key.namespace === ''
    ? `${key.kind} ${key.name}`
    : `${key.kind} ${key.namespace}/${key.name}`;
}
