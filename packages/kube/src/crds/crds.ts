import { API_GROUP, KIND_NAMES, KINDS, type Kind } from '@paddock/core';

/** A CustomResourceDefinition (apiextensions.k8s.io/v1), as plain JSON. */
export type CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
};

/** The CRD of one Paddock kind. (Placeholder schema: anything; the generated one replaces it.) */
export function crdFor(kind: Kind): CustomResourceDefinition {
  const { plural, scope } = KINDS[kind];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      scope,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
          subresources: { status: {} },
        },
      ],
    },
  };
}

/** The CRDs of every Paddock kind. */
export function paddockCrds(): CustomResourceDefinition[] {
  return KIND_NAMES.map(crdFor);
}
