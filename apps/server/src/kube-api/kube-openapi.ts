/**
 * `/openapi/v3` and `/openapi/v3/apis/paddock.dev/v1alpha1`: the OpenAPI 3 document of the
 * group, its component schemas taken from the CRDs (the same structural schemas a cluster
 * serves, so `kubectl explain sandbox.spec` reads the same text), its paths carrying
 * `x-kubernetes-group-version-kind` and the `fieldValidation` and `dryRun` parameters (kubectl
 * reads them to know that the server validates fields itself).
 */
import { createHash } from 'node:crypto';
import { API_GROUP, KIND_NAMES, KINDS, type Kind, Scope } from '@paddock/core';
import { crdFor } from '@paddock/kube';
import { GROUP_VERSION, VERSION } from './kube-discovery.ts';

const schemaName = (kind: Kind) => `dev.paddock.${VERSION}.${kind}`;

function schemaOf(kind: Kind): Record<string, unknown> {
  const [version] = crdFor(kind).spec.versions as Array<{
    schema: { openAPIV3Schema: Record<string, unknown> };
  }>;
  return {
    ...(version?.schema.openAPIV3Schema ?? { type: 'object' }),
    'x-kubernetes-group-version-kind': [{ group: API_GROUP, version: VERSION, kind }],
  };
}

const queryParam = (name: string) => ({ name, in: 'query', schema: { type: 'string' } });
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'].map(queryParam);

function operation(kind: Kind, action: string, params: object[], hasBody: boolean) {
  const ref = { $ref: `#/components/schemas/${schemaName(kind)}` };
  return {
    operationId: `${action}${kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: API_GROUP, version: VERSION, kind },
    parameters: params,
    ...(hasBody ? { requestBody: { content: { '*/*': { schema: ref } } } } : {}),
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } },
  };
}

function pathsOf(kind: Kind): Record<string, unknown> {
  const { plural, scope } = KINDS[kind];
  const base =
    scope === Scope.Namespaced
      ? `/apis/${GROUP_VERSION}/namespaces/{namespace}/${plural}`
      : `/apis/${GROUP_VERSION}/${plural}`;
  const patchParams = [...WRITE_PARAMS, queryParam('force')];
  const item = {
    get: operation(kind, 'get', [], false),
    put: operation(kind, 'put', WRITE_PARAMS, true),
    patch: operation(kind, 'patch', patchParams, true),
    delete: operation(kind, 'delete', [queryParam('dryRun')], false),
  };
  return {
    [base]: {
      get: operation(
        kind,
        'list',
        [queryParam('labelSelector'), queryParam('fieldSelector')],
        false,
      ),
      post: operation(kind, 'post', WRITE_PARAMS, true),
    },
    [`${base}/{name}`]: item,
    [`${base}/{name}/status`]: { get: item.get, put: item.put, patch: item.patch },
  };
}

let cached: { document: string; hash: string } | undefined;

/** The group's OpenAPI 3 document (serialised once: the kinds are fixed for a process's life). */
export function groupOpenApi(): { document: string; hash: string } {
  if (cached !== undefined) return cached;
  const schemas = Object.fromEntries(KIND_NAMES.map((kind) => [schemaName(kind), schemaOf(kind)]));
  const paths = Object.assign({}, ...KIND_NAMES.map(pathsOf)) as Record<string, unknown>;
  const document = JSON.stringify({
    openapi: '3.0.0',
    info: { title: 'Paddock', version: VERSION },
    paths,
    components: { schemas },
  });
  const hash = createHash('sha512').update(document).digest('hex').toUpperCase();
  cached = { document, hash };
  return cached;
}

export const GROUP_OPENAPI_PATH = `/openapi/v3/apis/${GROUP_VERSION}`;

/** `/openapi/v3`: where each group version's document is. */
export function openApiIndex() {
  return {
    paths: {
      [GROUP_OPENAPI_PATH.slice('/openapi/v3/'.length)]: {
        serverRelativeURL: `${GROUP_OPENAPI_PATH}?hash=${groupOpenApi().hash}`,
      },
    },
  };
}
