/**
 * One entry of the agent-infrastructure catalog: a Helm chart Argo CD installs into its own
 * namespace when the entry is enabled. Entries are validated at every boundary: the compiled-in
 * catalog at load, a user's entry when it is added (see `catalog-graph.ts`).
 */
import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DnsLabel = z
  .string()
  .max(63)
  .regex(DNS_LABEL, 'must be a DNS label (lowercase letters, digits, -)');

/** What an entry is for; `paddock app list` groups by it. */
export const Category = {
  LlmGateway: 'llm-gateway',
  Observability: 'observability',
  Guardrails: 'guardrails',
  Rag: 'rag',
  Runtime: 'runtime',
  Models: 'models',
  Storage: 'storage',
  Security: 'security',
  Platform: 'platform',
} as const;
export type Category = (typeof Category)[keyof typeof Category];

/**
 * Rollout order. Argo CD syncs tier by tier (the tier is the sync wave), so an entry's
 * dependencies must all sit in a strictly lower tier: a dependency in the same wave could still
 * be progressing when its dependent starts.
 */
export const Tier = {
  /** Operators and CRDs: everything else may create their resources. */
  Operators: 0,
  /** Data stores: databases, caches, vector, log and trace stores. */
  DataStores: 1,
  /** Platform services built on the stores: gateways, collectors, guardrails, inference. */
  Services: 2,
  /** Applications on top of the platform: Paddock itself. */
  Apps: 3,
} as const;
export type Tier = (typeof Tier)[keyof typeof Tier];
export const MAX_TIER: Tier = Tier.Apps;

/**
 * The `repoURL` of an entry served from the cluster's own GitOps repository (Paddock's chart is
 * copied there); the repository writer replaces it with the URL the cluster reaches it at.
 */
export const GITOPS_REPOSITORY = 'gitops:self';

const HelmValues = z.record(z.string(), z.unknown());

/**
 * A catalog entry as users write it (`catalog/<name>.yaml`) and as it is compiled in.
 * Source: a Helm repository (`repoURL` = https index, or an OCI registry path without the
 * `oci://` scheme, as Argo CD expects it, plus `chart`) or a git repository (`repoURL` + `path`
 * to the chart inside it). `targetRevision` is a pinned chart version (Helm) or tag (git).
 */
export const CatalogEntry = z
  .strictObject({
    name: DnsLabel,
    category: z.enum(Object.values(Category) as [Category, ...Category[]]),
    description: z.string().min(1),
    repoURL: z.string().min(1),
    chart: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    targetRevision: z.string().min(1),
    namespace: DnsLabel,
    enabled: z.boolean().default(false),
    tier: z.number().int('must be a whole number').min(Tier.Operators).max(MAX_TIER),
    dependsOn: z.array(DnsLabel).default([]),
    /** Helm values for a small local cluster; `infra/<name>.yaml` deep-merges over them. */
    values: HelmValues.default({}),
    /** What the user must provide before the entry can run (a key, a Secret, an image). */
    prerequisites: z.array(z.string().min(1)).default([]),
  })
  .refine((entry) => (entry.chart === undefined) !== (entry.path === undefined), {
    message: 'give exactly one of chart (a Helm repository) or path (a git repository)',
    path: ['chart'],
  })
  .refine(
    (entry) =>
      entry.repoURL === GITOPS_REPOSITORY ||
      !['*', 'latest', 'HEAD', 'main', 'master'].includes(entry.targetRevision),
    { message: 'must be a pinned version, not a moving reference', path: ['targetRevision'] },
  )
  .refine((entry) => new Set(entry.dependsOn).size === entry.dependsOn.length, {
    message: 'lists a dependency twice',
    path: ['dependsOn'],
  });

export type CatalogEntry = z.infer<typeof CatalogEntry>;
export type CatalogEntryInput = z.input<typeof CatalogEntry>;
