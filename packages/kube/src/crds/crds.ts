import {
  API_GROUP,
  API_VERSION,
  KIND_NAMES,
  KINDS,
  type Kind,
  kindJsonSchema,
} from '@paddock/core';
import { annotateForKubernetes } from './cel-rules.ts';
import { type Conversion, type JSONSchemaProps, toStructuralSchema } from './structural-schema.ts';

/** A CustomResourceDefinition (apiextensions.k8s.io/v1), as plain JSON. */
export type CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
};

const VERSION = API_VERSION.slice(API_GROUP.length + 1);

/** The category of every Paddock kind: `kubectl get paddock` lists them all. */
export const CRD_CATEGORY = 'paddock';

/**
 * The structural schema of a kind, converted from its zod schema (see `toStructuralSchema`), with
 * CEL rules for the cross-field refinements (see `annotateForKubernetes`). `metadata` is left to
 * the API server (it validates names, labels and the rest itself), `apiVersion` and `kind` too.
 */
export function crdSchema(kind: Kind): Conversion {
  const { schema, widenings } = toStructuralSchema(kindJsonSchema(kind, annotateForKubernetes));
  const properties = schema.properties as Record<string, JSONSchemaProps>;
  return {
    schema: {
      ...schema,
      required: ['spec'],
      properties: {
        ...properties,
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
      },
    },
    widenings,
  };
}

/** The CRD of one Paddock kind: its schema, status subresource, printer columns and names. */
export function crdFor(kind: Kind): CustomResourceDefinition {
  const { plural, scope, shortNames, printerColumns } = KINDS[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'paddock' },
    },
    spec: {
      group: API_GROUP,
      scope,
      names: {
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        ...(shortNames.length > 0 ? { shortNames: [...shortNames] } : {}),
        categories: [CRD_CATEGORY],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: crdSchema(kind).schema },
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns.map((column) => ({ ...column })),
        },
      ],
    },
  };
}

/** The CRDs of every Paddock kind. */
export function paddockCrds(): CustomResourceDefinition[] {
  return KIND_NAMES.map(crdFor);
}
