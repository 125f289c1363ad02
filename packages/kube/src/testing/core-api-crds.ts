// CRDs that stand in, on the test API server (apiextensions-apiserver: CRDs only), for two
// built-in APIs the controller uses: coordination.k8s.io/v1 Lease and events.k8s.io/v1 Event.
// Their schemas are derived, not typed by hand: the field tree, types and formats from the models
// `@kubernetes/client-node` generates from the Kubernetes OpenAPI (release-1.36), the required
// fields from the validators `kubernetes-models` compiles from the same definitions.
import * as k8s from '@kubernetes/client-node';
import { KubeClient } from '../client/kube-client.ts';
import { type CustomResourceDefinition, paddockCrds } from '../crds/crds.ts';
import { installCrds } from '../crds/install.ts';

/** A structural OpenAPI v3 schema node of a CRD (a type on every node, no `$ref`). */
export type StructuralSchema = {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema;
  items?: StructuralSchema;
  required?: string[];
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
};

type Attribute = { name: string; baseName: string; type: string; format: string };
type Model = { attributeTypeMap?: Attribute[] };
type Validate = ((data: unknown) => boolean) & {
  errors?: Array<{ instancePath: string; keyword: string; params: { missingProperty?: string } }>;
};

/** What a built-in API served by a CRD on the test server is. */
type BuiltinKind = {
  group: string;
  version: string;
  kind: string;
  plural: string;
  /** The `@kubernetes/client-node` model class of the kind. */
  model: string;
  /** The `kubernetes-models` validator of the kind. */
  validator: string;
};

const LEASE: BuiltinKind = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  model: 'V1Lease',
  validator: 'IoK8sApiCoordinationV1Lease',
};

const EVENT: BuiltinKind = {
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  model: 'EventsV1Event',
  validator: 'IoK8sApiEventsV1Event',
};

/** Fields the API server owns on every object; a CRD schema leaves them to it. */
const TYPE_META = new Set(['apiVersion', 'kind', 'metadata']);

/** The schema of a `@kubernetes/client-node` attribute type: `string`, `Array<X>`, a model, … */
function schemaOfType(type: string, format: string, seen: readonly string[]): StructuralSchema {
  const array = /^Array<(.+)>$/.exec(type);
  if (array?.[1] !== undefined) {
    return { type: 'array', items: schemaOfType(array[1], '', seen) };
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map?.[1] !== undefined) {
    return { type: 'object', additionalProperties: schemaOfType(map[1], '', seen) };
  }
  switch (type) {
    case 'string':
      return format === '' ? { type: 'string' } : { type: 'string', format };
    case 'number':
      return format === 'int32' || format === 'int64'
        ? { type: 'integer', format }
        : { type: 'number', ...(format === '' ? {} : { format }) };
    case 'boolean':
      return { type: 'boolean' };
    // Time and MicroTime: both RFC 3339 date-times in the OpenAPI (MicroTime with microseconds).
    case 'Date':
    case 'V1MicroTime':
      return { type: 'string', format: 'date-time' };
    case 'IntOrString':
      return { 'x-kubernetes-int-or-string': true };
    // A CRD may say nothing of metadata but that it is an object: the server validates it.
    case 'V1ObjectMeta':
      return { type: 'object' };
    case 'any':
    case 'object':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
  return schemaOfModel(type, seen);
}

function schemaOfModel(name: string, seen: readonly string[]): StructuralSchema {
  const model = (k8s as unknown as Record<string, Model | undefined>)[name];
  const attributes = model?.attributeTypeMap;
  if (attributes === undefined) throw new Error(`no model ${name} in @kubernetes/client-node`);
  if (seen.includes(name)) throw new Error(`recursive model ${[...seen, name].join(' > ')}`);
  const properties: Record<string, StructuralSchema> = {};
  for (const attribute of attributes) {
    properties[attribute.baseName] = schemaOfType(attribute.type, attribute.format, [
      ...seen,
      name,
    ]);
  }
  return { type: 'object', properties };
}

/**
 * Sets `required` on every object node below `node` (at `path`): the properties the official
 * validator reports missing when that node is an empty object.
 */
function addRequired(
  node: StructuralSchema,
  path: readonly (string | number)[],
  validate: Validate,
): void {
  if (node.type === 'object' && node.properties !== undefined) {
    validate(probeAt(path));
    const at = path.map((part) => `/${part}`).join('');
    const required = (validate.errors ?? [])
      .filter((error) => error.keyword === 'required' && error.instancePath === at)
      .map((error) => error.params.missingProperty)
      .filter((name): name is string => name !== undefined && !(at === '' && TYPE_META.has(name)));
    if (required.length > 0) node.required = required.sort();
    for (const [name, child] of Object.entries(node.properties)) {
      addRequired(child, [...path, name], validate);
    }
  }
  if (node.type === 'array' && node.items !== undefined)
    addRequired(node.items, [...path, 0], validate);
  if (node.additionalProperties !== undefined) {
    addRequired(node.additionalProperties, [...path, 'key'], validate);
  }
}

/** An object that is empty at `path` (arrays where the path has an index). */
function probeAt(path: readonly (string | number)[]): unknown {
  let value: unknown = {};
  for (let i = path.length - 1; i >= 0; i--) {
    value = typeof path[i] === 'number' ? [value] : { [path[i] as string]: value };
  }
  return value;
}

/** The structural schema of a built-in kind, derived from the official definitions. */
export async function officialSchemaOf(builtin: BuiltinKind): Promise<StructuralSchema> {
  const schema = schemaOfModel(builtin.model, []);
  for (const name of TYPE_META) {
    if (name !== 'metadata') delete schema.properties?.[name];
  }
  // kubernetes-models is a development dependency: loaded only when a test asks for these CRDs.
  const module = (await import(`kubernetes-models/_schemas/${builtin.validator}`)) as {
    validate: Validate;
  };
  addRequired(schema, [], module.validate);
  return {
    ...schema,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      ...schema.properties,
    },
  };
}

async function crdOf(builtin: BuiltinKind): Promise<CustomResourceDefinition> {
  const crd: CustomResourceDefinition & { metadata: { annotations: Record<string, string> } } = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${builtin.plural}.${builtin.group}`,
      labels: { 'app.kubernetes.io/part-of': 'paddock-tests' },
      // A group under k8s.io needs this annotation; "unapproved" says the CRD is not an API
      // Kubernetes serves, which it is not: it stands in for one on a server without it.
      annotations: { 'api-approved.kubernetes.io': 'unapproved, test stand-in for a built-in API' },
    },
    spec: {
      group: builtin.group,
      scope: 'Namespaced',
      names: {
        kind: builtin.kind,
        listKind: `${builtin.kind}List`,
        plural: builtin.plural,
        singular: builtin.kind.toLowerCase(),
      },
      versions: [
        {
          name: builtin.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: await officialSchemaOf(builtin) },
        },
      ],
    },
  };
  return crd;
}

/**
 * CRDs for `coordination.k8s.io/v1` Lease and `events.k8s.io/v1` Event with their official field
 * schemas, for the test API server only: a real cluster serves these groups itself.
 */
export async function coreApiTestCrds(): Promise<CustomResourceDefinition[]> {
  return Promise.all([crdOf(LEASE), crdOf(EVENT)]);
}

/**
 * Makes Leases and Events available on a test server: installs {@link coreApiTestCrds} unless
 * `server` is a whole cluster (`full`), which serves them natively.
 */
export async function installCoreApiTestCrds(
  client: KubeClient,
  server: { full: boolean },
  signal?: AbortSignal,
): Promise<void> {
  if (server.full) return;
  await installCrds(client, await coreApiTestCrds(), signal);
}

/**
 * Readies a test API server for Paddock: its CRDs, and the core-API stand-ins where the server
 * is not a whole cluster. The client it uses is closed before it returns.
 */
export async function installPaddockTestCrds(server: {
  kubeconfig: string;
  full: boolean;
}): Promise<void> {
  const client = await KubeClient.fromKubeconfig(server.kubeconfig);
  try {
    await installCrds(client, paddockCrds());
    await installCoreApiTestCrds(client, server);
  } finally {
    client.close();
  }
}
