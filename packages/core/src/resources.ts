import { z } from 'zod';
import { Agent } from './agent.ts';
import { ErrorCode, PaddockError } from './errors.ts';
import { API_VERSION } from './metadata.ts';
import { ClusterPolicy, Policy } from './policy.ts';
import { Run } from './run.ts';
import { Sandbox } from './sandbox.ts';
import { SandboxSnapshot } from './sandbox-snapshot.ts';
import { ClusterSandboxTemplate, SandboxTemplate } from './template.ts';
import { parseInput } from './validation.ts';
import { Volume } from './volume.ts';

export const Scope = { Cluster: 'Cluster', Namespaced: 'Namespaced' } as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

/**
 * A column of a kind's table view, as Kubernetes `additionalPrinterColumns` declare it: `jsonPath`
 * is a simple JSONPath into the object (`.status.phase`), `type` one of the OpenAPI column types
 * (`date` shows as an age), and columns of `priority` above 0 appear only in the wide view.
 */
export type PrinterColumn = {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  readonly priority?: number;
};

const phase: PrinterColumn = {
  name: 'Phase',
  type: 'string',
  jsonPath: '.status.phase',
  description: 'Where the object is in its lifecycle',
};
const ready: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Status of the Ready condition',
};
const age: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation',
};

const templateColumns: readonly PrinterColumn[] = [
  { name: 'Image', type: 'string', jsonPath: '.spec.image', description: 'OCI image' },
  {
    name: 'Inherits',
    type: 'string',
    jsonPath: '.spec.inheritsFrom.name',
    description: 'The template this one inherits from',
  },
  { name: 'Isolation', type: 'string', jsonPath: '.spec.isolation', description: 'Isolation' },
  { name: 'Egress', type: 'string', jsonPath: '.spec.network.egress', description: 'Egress mode' },
  {
    name: 'Warm',
    type: 'integer',
    jsonPath: '.status.warmPool.ready',
    description: 'Ready sandboxes in the warm pool',
    priority: 1,
  },
  age,
];

const policyColumns: readonly PrinterColumn[] = [
  {
    name: 'Max-Sandboxes',
    type: 'integer',
    jsonPath: '.spec.sandboxes.maxPerNamespace',
    description: 'Sandboxes that may exist at once in a namespace',
  },
  {
    name: 'Max-Timeout',
    type: 'string',
    jsonPath: '.spec.maxTimeout',
    description: 'Longest wall-clock timeout a sandbox may ask for',
  },
  {
    name: 'Max-USD-Run',
    type: 'number',
    jsonPath: '.spec.budgets.maxUsdPerRun',
    description: 'Spend limit per run in US dollars',
  },
  {
    name: 'Max-Runs',
    type: 'integer',
    jsonPath: '.spec.runs.maxConcurrentPerNamespace',
    description: 'Concurrent runs per namespace',
    priority: 1,
  },
  age,
];

/**
 * Every kind Paddock serves: its schema, REST plural, scope, short names (Kubernetes `kubectl`
 * aliases; none where the singular is short already) and printer columns (after the name).
 */
export const KINDS = {
  ClusterSandboxTemplate: {
    schema: ClusterSandboxTemplate,
    plural: 'clustersandboxtemplates',
    scope: Scope.Cluster,
    shortNames: ['csbxt'],
    printerColumns: templateColumns,
  },
  SandboxTemplate: {
    schema: SandboxTemplate,
    plural: 'sandboxtemplates',
    scope: Scope.Namespaced,
    shortNames: ['sbxt'],
    printerColumns: templateColumns,
  },
  Sandbox: {
    schema: Sandbox,
    plural: 'sandboxes',
    scope: Scope.Namespaced,
    shortNames: ['sbx'],
    printerColumns: [
      phase,
      ready,
      {
        name: 'Template',
        type: 'string',
        jsonPath: '.spec.templateRef.name',
        description: 'The template it was created from',
      },
      {
        name: 'Desired',
        type: 'string',
        jsonPath: '.spec.desiredState',
        description: 'Running or Stopped, as asked',
        priority: 1,
      },
      {
        name: 'Isolation',
        type: 'string',
        jsonPath: '.status.resolved.isolation',
        description: 'Isolation of the resolved template',
        priority: 1,
      },
      {
        name: 'Expires',
        type: 'date',
        jsonPath: '.status.expiresAt',
        description: 'When its timeout ends it',
        priority: 1,
      },
      age,
    ],
  },
  Agent: {
    schema: Agent,
    plural: 'agents',
    scope: Scope.Namespaced,
    shortNames: [],
    printerColumns: [
      {
        name: 'Harness',
        type: 'string',
        jsonPath: '.spec.harness.kind',
        description: 'Harness kind',
      },
      { name: 'Model', type: 'string', jsonPath: '.spec.model', description: 'Model' },
      {
        name: 'Template',
        type: 'string',
        jsonPath: '.spec.templateRef.name',
        description: 'Template of its sandboxes',
      },
      {
        name: 'Max-USD',
        type: 'number',
        jsonPath: '.spec.budget.maxUsd',
        description: 'Spend limit per run in US dollars',
        priority: 1,
      },
      {
        name: 'Runs',
        type: 'integer',
        jsonPath: '.status.runs',
        description: 'Runs started',
        priority: 1,
      },
      age,
    ],
  },
  Run: {
    schema: Run,
    plural: 'runs',
    scope: Scope.Namespaced,
    shortNames: [],
    printerColumns: [
      phase,
      { name: 'Agent', type: 'string', jsonPath: '.spec.agentRef.name', description: 'Agent' },
      {
        name: 'Sandbox',
        type: 'string',
        jsonPath: '.status.sandboxName',
        description: 'The sandbox it runs in',
      },
      {
        name: 'Template',
        type: 'string',
        jsonPath: '.spec.sandbox.templateRef.name',
        description: 'Template of a new sandbox',
        priority: 1,
      },
      { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'Mode', priority: 1 },
      {
        name: 'Turns',
        type: 'integer',
        jsonPath: '.status.usage.turns',
        description: 'Model turns so far',
        priority: 1,
      },
      {
        name: 'Cost-USD',
        type: 'number',
        jsonPath: '.status.usage.costUsd',
        description: 'Spend so far in US dollars',
        priority: 1,
      },
      age,
    ],
  },
  SandboxSnapshot: {
    schema: SandboxSnapshot,
    plural: 'sandboxsnapshots',
    scope: Scope.Namespaced,
    shortNames: ['sbxsnap'],
    printerColumns: [
      phase,
      {
        name: 'Sandbox',
        type: 'string',
        jsonPath: '.spec.sandboxRef.name',
        description: 'The sandbox it copies',
      },
      {
        name: 'Size',
        type: 'integer',
        jsonPath: '.status.sizeBytes',
        description: 'Bytes the copy takes',
      },
      {
        name: 'Consistency',
        type: 'string',
        jsonPath: '.status.consistency',
        description: 'How the copy was held still (frozen, stopped, live)',
        priority: 1,
      },
      {
        name: 'Expires',
        type: 'date',
        jsonPath: '.status.expiresAt',
        description: 'When retention deletes it',
        priority: 1,
      },
      age,
    ],
  },
  Volume: {
    schema: Volume,
    plural: 'volumes',
    scope: Scope.Namespaced,
    shortNames: ['pdvol'],
    printerColumns: [
      phase,
      { name: 'Size', type: 'string', jsonPath: '.spec.size', description: 'Capacity' },
      {
        name: 'Used',
        type: 'integer',
        jsonPath: '.status.usedBytes',
        description: 'Bytes stored',
      },
      {
        name: 'In-Use',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="InUse")].message',
        description: 'The sandboxes that mount it',
      },
      age,
    ],
  },
  // `pol`/`cpol` are Kyverno's short names: Paddock's are prefixed so both can be installed.
  Policy: {
    schema: Policy,
    plural: 'policies',
    scope: Scope.Namespaced,
    shortNames: ['pdpol'],
    printerColumns: policyColumns,
  },
  ClusterPolicy: {
    schema: ClusterPolicy,
    plural: 'clusterpolicies',
    scope: Scope.Cluster,
    shortNames: ['pdcpol'],
    printerColumns: policyColumns,
  },
} as const satisfies Record<
  string,
  {
    schema: z.ZodType;
    plural: string;
    scope: Scope;
    shortNames: readonly string[];
    printerColumns: readonly PrinterColumn[];
  }
>;

export type Kind = keyof typeof KINDS;
export type ResourceOf<K extends Kind> = z.infer<(typeof KINDS)[K]['schema']>;
export type AnyResource = { [K in Kind]: ResourceOf<K> }[Kind];

const ResourceHead = z.looseObject({ apiVersion: z.literal(API_VERSION), kind: z.string() });

export const KIND_NAMES = Object.keys(KINDS) as Kind[];

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && Object.hasOwn(KINDS, value);
}

export function kindForPlural(plural: string): Kind | undefined {
  return KIND_NAMES.find((kind) => KINDS[kind].plural === plural);
}

/**
 * Validates any Paddock manifest: dispatches on `kind` and reports every invalid field, prefixed
 * by its path in the manifest (`spec.resources.cpu: …`). Throws `validation_failed`.
 */
export function parseResource(input: unknown): AnyResource {
  const { kind } = parseInput(ResourceHead, input, 'resource');
  if (!isKind(kind)) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `invalid resource: kind: unknown kind "${kind}" (expected one of ${KIND_NAMES.join(', ')})`,
      { issues: [{ path: 'kind', message: `unknown kind "${kind}"` }] },
    );
  }
  return parseInput(KINDS[kind].schema, input, kind) as AnyResource;
}

/**
 * JSON Schema (draft 2020-12) of a kind, as accepted on input: the source for CRDs and OpenAPI.
 * `annotate`, when given, sees every zod schema of the tree with its JSON Schema node and may add
 * keywords to that node (the CRD generator adds CEL rules for refinements JSON Schema cannot say).
 */
export function kindJsonSchema(
  kind: Kind,
  annotate?: (zodSchema: unknown, node: Record<string, unknown>) => void,
): Record<string, unknown> {
  return z.toJSONSchema(KINDS[kind].schema, {
    io: 'input',
    unrepresentable: 'any',
    ...(annotate === undefined
      ? {}
      : { override: (ctx) => annotate(ctx.zodSchema, ctx.jsonSchema as Record<string, unknown>) }),
  }) as Record<string, unknown>;
}
