// Objects to and from the Kubernetes API: what Paddock sends for each write, and what it keeps of
// what the API server answers (core's strict ObjectMeta has no room for managedFields and the like).
import {
  type AnyResource,
  ErrorCode,
  isPaddockError,
  ObjectMeta,
  PaddockError,
  parseResource,
} from '@paddock/core';

const META_FIELDS = new Set(Object.keys(ObjectMeta.shape));

/** Fields of metadata the server owns: never sent, whatever the client's copy says. */
const SYSTEM_FIELDS = ['generation', 'creationTimestamp', 'deletionTimestamp'] as const;

type Wire = Record<string, unknown>;

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && value !== null && Object.keys(value).length === 0)
  );
}

/** `resource` without its status, metadata without the server's fields and, if asked, without uid and resourceVersion. */
function body(resource: AnyResource, keepVersion: boolean): Wire {
  const { status: _status, metadata, ...rest } = resource;
  const meta: Wire = { ...metadata };
  for (const field of SYSTEM_FIELDS) delete meta[field];
  if (!keepVersion) {
    delete meta.uid;
    delete meta.resourceVersion;
  }
  return { ...rest, metadata: meta };
}

/** The body of a create: user metadata, spec; no status (it starts empty), no system fields. */
export function createBody(resource: AnyResource): Wire {
  return body(resource, false);
}

/**
 * The body of an update or a status update at `resourceVersion`: the API server keeps uid,
 * generation and the timestamps itself; a uid the client sent stays as a precondition. Status is
 * left out of an update (the status subresource alone writes it) and is the whole point of a
 * status update.
 */
export function writeBody(
  resource: AnyResource,
  resourceVersion: string,
  withStatus: boolean,
): Wire {
  const wire = body(resource, true);
  (wire.metadata as Wire).resourceVersion = resourceVersion;
  if (withStatus && resource.status !== undefined) wire.status = resource.status;
  return wire;
}

/**
 * An object as the API server returned it, as a Paddock resource: metadata reduced to the fields
 * of core's `ObjectMeta` (managedFields, deletionGracePeriodSeconds and any newer field dropped,
 * empty ones omitted), then validated. An object that is not a valid Paddock resource (written
 * around Paddock, under a schema that let it through) is `internal`, naming it.
 */
export function fromWire(raw: Wire, apiVersion: string, kind: string): AnyResource {
  const rawMeta = (raw.metadata ?? {}) as Wire;
  const metadata: Wire = {};
  for (const [field, value] of Object.entries(rawMeta)) {
    if (META_FIELDS.has(field) && !isEmpty(value)) metadata[field] = value;
  }
  const object = {
    ...raw,
    apiVersion: raw.apiVersion ?? apiVersion,
    kind: raw.kind ?? kind,
    metadata,
  };
  try {
    return parseResource(object);
  } catch (error) {
    if (!isPaddockError(error, ErrorCode.ValidationFailed)) throw error;
    const where = [metadata.namespace, metadata.name]
      .filter((part) => part !== undefined)
      .join('/');
    throw new PaddockError(
      ErrorCode.Internal,
      `the Kubernetes API holds a ${kind} ${where} that is not a valid Paddock resource: ${error.message}`,
      { kind, name: String(metadata.name ?? ''), issues: error.details.issues ?? [] },
    );
  }
}
