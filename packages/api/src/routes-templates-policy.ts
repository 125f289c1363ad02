import {
  API_VERSION,
  OverridableField,
  PolicySpec,
  Sandbox,
  SandboxEnvironment,
  TemplateKind,
} from '@paddock/core';
import { z } from 'zod';
import { type AnyRoute, defineRoute, json } from './route.ts';
import {
  ClusterNameParams,
  itemPath,
  NamespacedNameParams,
  NamespaceParams,
} from './routes-resources.ts';

/**
 * A template after inheritance: the merged environment, what a Sandbox may override, where each
 * value came from and the chain merged.
 */
export const ResolvedTemplate = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('ResolvedTemplate'),
  /** The template resolved. */
  template: z.object({
    kind: z.enum([TemplateKind.SandboxTemplate, TemplateKind.ClusterSandboxTemplate]),
    name: z.string(),
    namespace: z.string().optional(),
  }),
  spec: SandboxEnvironment,
  overridable: z.array(OverridableField),
  /**
   * Field path → `Kind/name` of the template that set it (`image`, `resources.cpu`, `env.HOME`,
   * `repos[0]`), as core's template merge records it.
   */
  origins: z.record(z.string(), z.string()),
  /** `Kind/name` of every template merged, root first, the resolved one last. */
  chain: z.array(z.string()),
});
export type ResolvedTemplate = z.infer<typeof ResolvedTemplate>;

/** Where an effective policy field came from: the cluster default or the namespace override. */
export const PolicySource = z.enum(['ClusterPolicy/default', 'Policy/default']);
export type PolicySource = z.infer<typeof PolicySource>;

/** What is already held or spent in the namespace, as admission counts it (today = UTC day). */
export const PolicyUsageNow = z.object({
  /** Sandboxes holding resources (Creating, Running, Stopped) in the namespace. */
  namespaceSandboxes: z.int().nonnegative(),
  /** Of those, the caller's own. */
  userSandboxes: z.int().nonnegative(),
  /** Model spend today in the namespace, every user's, as its daily budget counts it, in USD. */
  namespaceSpentTodayUsd: z.number().nonnegative(),
  /** The caller's model spend today in every namespace, as the per-user daily budget counts it. */
  userSpentTodayUsd: z.number().nonnegative(),
});
export type PolicyUsageNow = z.infer<typeof PolicyUsageNow>;

/**
 * The policy in force in a namespace: ClusterPolicy `default` merged with the namespace's Policy
 * `default` (either may be missing). `sources`: field path (`maxTimeout`, `resources.maxCpu`) →
 * the policy that set it.
 */
export const EffectivePolicy = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('EffectivePolicy'),
  namespace: z.string(),
  spec: PolicySpec,
  sources: z.record(z.string(), PolicySource),
  usage: PolicyUsageNow,
});
export type EffectivePolicy = z.infer<typeof EffectivePolicy>;

/** The verdict of governance on a Sandbox manifest, nothing stored. */
export const PolicyCheckResult = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('PolicyCheckResult'),
  admitted: z.boolean(),
  /** Every policy violation and refused override (`override_not_allowed`); empty when admitted. */
  violations: z.array(z.object({ code: z.string(), field: z.string(), message: z.string() })),
  /** The environment the sandbox would get (template + overrides), when admitted. */
  spec: SandboxEnvironment.optional(),
});
export type PolicyCheckResult = z.infer<typeof PolicyCheckResult>;

const auth = 'required' as const;

/** Template resolution, the effective policy and a governance dry run. */
export const TEMPLATE_POLICY_ROUTES = {
  resolveSandboxTemplate: defineRoute({
    operationId: 'resolveSandboxTemplate',
    method: 'GET',
    path: `${itemPath('SandboxTemplate')}/resolved`,
    summary: 'A SandboxTemplate after inheritance, with the provenance of every field',
    description:
      'template_not_found when the template or an ancestor is missing; template_invalid for a ' +
      'cycle (details.cycle) or a chain deeper than the limit (details.limit, details.chain).',
    tags: ['SandboxTemplate'],
    auth,
    params: NamespacedNameParams,
    responses: [
      { status: 200, description: 'The resolved template', content: [json(ResolvedTemplate)] },
    ],
  }),
  resolveClusterSandboxTemplate: defineRoute({
    operationId: 'resolveClusterSandboxTemplate',
    method: 'GET',
    path: `${itemPath('ClusterSandboxTemplate')}/resolved`,
    summary: 'A ClusterSandboxTemplate after inheritance, with the provenance of every field',
    tags: ['ClusterSandboxTemplate'],
    auth,
    params: ClusterNameParams,
    responses: [
      { status: 200, description: 'The resolved template', content: [json(ResolvedTemplate)] },
    ],
  }),
  getEffectivePolicy: defineRoute({
    operationId: 'getEffectivePolicy',
    method: 'GET',
    path: '/api/v1/namespaces/{namespace}/policy/effective',
    summary: 'The policy in force in a namespace, where each field came from, and current usage',
    tags: ['Policy'],
    auth,
    params: NamespaceParams,
    responses: [
      { status: 200, description: 'The effective policy', content: [json(EffectivePolicy)] },
    ],
  }),
  checkSandboxPolicy: defineRoute({
    operationId: 'checkSandboxPolicy',
    method: 'POST',
    path: '/api/v1/namespaces/{namespace}/policy/check',
    summary: 'Dry run of sandbox admission: every violation of a Sandbox manifest, nothing stored',
    description:
      'Answers 200 with admitted=false and the violations when governance would refuse the ' +
      'sandbox; template errors are template_not_found / template_invalid.',
    tags: ['Policy'],
    auth,
    params: NamespaceParams,
    body: json(Sandbox),
    responses: [{ status: 200, description: 'The verdict', content: [json(PolicyCheckResult)] }],
  }),
} as const;

export const templatePolicyRouteList: readonly AnyRoute[] = Object.values(TEMPLATE_POLICY_ROUTES);
