/**
 * Objects across the Kubernetes API boundary: out, the stored object with its managers shown as
 * `metadata.managedFields` (their annotation hidden); in, a body checked to be a Paddock object
 * of the path's kind, `managedFields` dropped (the server keeps them), the stored annotation kept.
 */
import {
  type AnyResource,
  API_VERSION,
  ErrorCode,
  type Kind,
  PaddockError,
  parseResource,
} from '@paddock/core';
import { parse as parseYaml } from 'yaml';
import { invalidBody, parseJsonBody } from '../http/body.ts';
import { MANAGED_FIELDS_ANNOTATION, managedFieldsOf } from './managed-fields.ts';

export function toKube<T extends AnyResource>(object: T): T {
  const entries = managedFieldsOf(object);
  if (entries.length === 0) return object;
  const { [MANAGED_FIELDS_ANNOTATION]: _hidden, ...annotations } =
    object.metadata.annotations ?? {};
  const { annotations: _a, ...metadata } = object.metadata;
  return {
    ...object,
    metadata: {
      ...metadata,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      managedFields: entries,
    },
  };
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A YAML (or JSON, which is YAML) body as a map; anything else is `validation_failed`. */
export function parseManifestBody(bytes: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(bytes.toString('utf8'));
  } catch (cause) {
    throw invalidBody(`is not valid YAML: ${(cause as Error).message}`);
  }
  if (!isMap(value)) throw invalidBody('must be an object');
  return value;
}

export function parseObjectBody(bytes: Buffer): Record<string, unknown> {
  const value = parseJsonBody(bytes);
  if (!isMap(value)) throw invalidBody('must be an object');
  return value;
}

/**
 * `body` as an object of `kind` (apiVersion and kind filled when absent, refused when other),
 * without `managedFields`, carrying `current`'s managers (or `entries` when given).
 */
export function fromKube(
  kind: Kind,
  body: Record<string, unknown>,
  managedAnnotation: string | undefined,
): AnyResource {
  const issues: Array<{ path: string; message: string }> = [];
  if (body.apiVersion !== undefined && body.apiVersion !== API_VERSION) {
    issues.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  }
  if (body.kind !== undefined && body.kind !== kind) {
    issues.push({ path: 'kind', message: `must be ${kind} (the path's)` });
  }
  if (body.metadata !== undefined && !isMap(body.metadata)) {
    issues.push({ path: 'metadata', message: 'must be an object' });
  }
  if (issues.length > 0) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      issues.map((i) => `${i.path}: ${i.message}`).join('; '),
      { issues },
    );
  }
  const { managedFields: _m, ...metadata } = (body.metadata ?? {}) as Record<string, unknown>;
  const given = isMap(metadata.annotations) ? metadata.annotations : {};
  const { [MANAGED_FIELDS_ANNOTATION]: _forged, ...annotations } = given;
  const kept =
    managedAnnotation === undefined
      ? annotations
      : { ...annotations, [MANAGED_FIELDS_ANNOTATION]: managedAnnotation };
  const { annotations: _a, ...rest } = metadata;
  // Parsed with the kind's schema, as the REST routes parse their bodies: errors name the field.
  return parseResource({
    ...body,
    apiVersion: API_VERSION,
    kind,
    metadata: { ...rest, ...(Object.keys(kept).length > 0 ? { annotations: kept } : {}) },
  });
}
