import { z } from 'zod';
import { Agent } from './agent.ts';
import { ErrorCode, PaddockError } from './errors.ts';
import { API_VERSION } from './metadata.ts';
import { ClusterPolicy, Policy } from './policy.ts';
import { Run } from './run.ts';
import { Sandbox } from './sandbox.ts';
import { ClusterSandboxTemplate, SandboxTemplate } from './template.ts';
import { parseInput } from './validation.ts';

export const Scope = { Cluster: 'Cluster', Namespaced: 'Namespaced' } as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

/** Every kind Paddock serves: its schema, REST plural, scope and printer columns. */
export const KINDS = {
  ClusterSandboxTemplate: {
    schema: ClusterSandboxTemplate,
    plural: 'clustersandboxtemplates',
    scope: Scope.Cluster,
  },
  SandboxTemplate: { schema: SandboxTemplate, plural: 'sandboxtemplates', scope: Scope.Namespaced },
  Sandbox: { schema: Sandbox, plural: 'sandboxes', scope: Scope.Namespaced },
  Agent: { schema: Agent, plural: 'agents', scope: Scope.Namespaced },
  Run: { schema: Run, plural: 'runs', scope: Scope.Namespaced },
  Policy: { schema: Policy, plural: 'policies', scope: Scope.Namespaced },
  ClusterPolicy: { schema: ClusterPolicy, plural: 'clusterpolicies', scope: Scope.Cluster },
} as const;

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

/** JSON Schema (draft 2020-12) of a kind, as accepted on input: the source for CRDs and OpenAPI. */
export function kindJsonSchema(kind: Kind): Record<string, unknown> {
  return z.toJSONSchema(KINDS[kind].schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
