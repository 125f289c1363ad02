import { z } from 'zod';
import { DurationString } from './duration.ts';
import { API_VERSION, ObjectMeta } from './metadata.ts';
import { isNormalisedPath } from './mount-paths.ts';
import { QuantityString } from './quantity.ts';
import { DomainPattern } from './template.ts';

/**
 * Governance limits. Every field is optional: an absent field sets no limit. The effective policy
 * of a namespace is the cluster default (`ClusterPolicy` named `default`) merged field by field
 * with the namespace's override (`Policy` named `default` in that namespace): a field the
 * namespace sets wins; nested objects merge per field; lists are replaced whole.
 */
export const PolicySpec = z.strictObject({
  sandboxes: z
    .strictObject({
      /** Sandboxes that may exist at once in a namespace. */
      maxPerNamespace: z.int().nonnegative().optional(),
      /** Sandboxes one user may own at once. */
      maxPerUser: z.int().nonnegative().optional(),
    })
    .optional(),
  /** Per-sandbox resource caps. */
  resources: z
    .strictObject({
      maxCpu: QuantityString.optional(),
      maxMemory: QuantityString.optional(),
      maxStorage: QuantityString.optional(),
    })
    .optional(),
  /** Longest wall-clock timeout a sandbox may ask for; a sandbox asking `0` (none) exceeds it. */
  maxTimeout: DurationString.optional(),
  /** Longest idle timeout a sandbox may ask for; `0` (never idle out) exceeds it. */
  maxIdleTimeout: DurationString.optional(),
  /** Templates a sandbox may use: `name` (SandboxTemplate) or `ClusterSandboxTemplate/name`; `*` matches any. */
  allowedTemplates: z.array(z.string().min(1)).optional(),
  /** Image registry prefixes images must come from, e.g. `ghcr.io/acme`, `docker.io/library`. */
  approvedImageRegistries: z.array(z.string().min(1)).optional(),
  /**
   * Host directories whose contents template `hostPath` mounts may expose (a mount of the
   * directory itself or of anything below it). Unlike the other fields, absent means none: a
   * host mount is refused unless a root here holds it. The local runtime checks it again with
   * symlinks resolved when the sandbox starts.
   */
  allowedHostPaths: z
    .array(
      z
        .string()
        .refine(isNormalisedPath, 'must be a normalised absolute path')
        .refine((path) => path !== '/', 'must not be the host root'),
    )
    .optional(),
  /** Domains an allowlist sandbox may reach (`*.example.com` for subdomains); open egress is refused when set. */
  allowedEgressDomains: z.array(DomainPattern).optional(),
  budgets: z
    .strictObject({
      maxUsdPerRun: z.number().positive().optional(),
      maxUsdPerUserPerDay: z.number().positive().optional(),
      maxUsdPerNamespacePerDay: z.number().positive().optional(),
    })
    .optional(),
  runs: z
    .strictObject({
      maxConcurrentPerNamespace: z.int().nonnegative().optional(),
      maxConcurrentPerUser: z.int().nonnegative().optional(),
    })
    .optional(),
});
export type PolicySpec = z.infer<typeof PolicySpec>;

function policyResource<K extends 'Policy' | 'ClusterPolicy'>(kind: K) {
  return z.strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(kind),
    metadata: ObjectMeta,
    spec: PolicySpec,
    status: z.strictObject({ observedGeneration: z.int().nonnegative().optional() }).optional(),
  });
}

/** Namespace override of the cluster default policy. */
export const Policy = policyResource('Policy');
export type Policy = z.infer<typeof Policy>;
/** The cluster-wide default policy. */
export const ClusterPolicy = policyResource('ClusterPolicy');
export type ClusterPolicy = z.infer<typeof ClusterPolicy>;
