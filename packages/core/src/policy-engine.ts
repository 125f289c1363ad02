import { z } from 'zod';
import { parseDurationMs } from './duration.ts';
import { ErrorCode, PaddockError } from './errors.ts';
import { allowedRootOf } from './mount-paths.ts';
import type { PolicySpec } from './policy.ts';
import { compareQuantity, parseQuantity } from './quantity.ts';
import { Egress, SandboxEnvironment, TemplateKind, TemplateRef } from './template.ts';

/** Why governance refused a request; the closed set of ARCHITECTURE.md. */
export const ViolationCode = {
  TemplateNotAllowed: 'template_not_allowed',
  ImageRegistryNotApproved: 'image_registry_not_approved',
  NamespaceQuotaExceeded: 'namespace_quota_exceeded',
  UserQuotaExceeded: 'user_quota_exceeded',
  CpuLimitExceeded: 'cpu_limit_exceeded',
  MemoryLimitExceeded: 'memory_limit_exceeded',
  StorageLimitExceeded: 'storage_limit_exceeded',
  TimeoutExceeded: 'timeout_exceeded',
  IdleTimeoutExceeded: 'idle_timeout_exceeded',
  EgressDomainNotAllowed: 'egress_domain_not_allowed',
  BudgetExceeded: 'budget_exceeded',
  ConcurrentRunsExceeded: 'concurrent_runs_exceeded',
  HostPathNotAllowed: 'host_path_not_allowed',
} as const;
export type ViolationCode = (typeof ViolationCode)[keyof typeof ViolationCode];

const violationCodes = Object.values(ViolationCode) as [ViolationCode, ...ViolationCode[]];

/**
 * One broken rule. `field` is the path of the offending value inside the request
 * (`spec.resources.cpu`, `spec.network.allowedDomains[1]`, `templateRef`, `user`, `maxUsd`);
 * `message` is for people and names the value and the limit.
 */
export const Violation = z.strictObject({
  code: z.enum(violationCodes),
  field: z.string(),
  message: z.string(),
});
export type Violation = z.infer<typeof Violation>;

const Subject = { namespace: z.string().min(1), user: z.string().min(1) };

/** Admission of a new sandbox; `spec` is the resolved environment (template + overrides). */
export const SandboxPolicyRequest = z.strictObject({
  kind: z.literal('sandbox'),
  ...Subject,
  templateRef: TemplateRef,
  spec: SandboxEnvironment,
});
export type SandboxPolicyRequest = z.infer<typeof SandboxPolicyRequest>;

/** Start of a new run; `maxUsd` is the budget the run asks for, if any. */
export const RunPolicyRequest = z.strictObject({
  kind: z.literal('run'),
  ...Subject,
  maxUsd: z.number().positive().optional(),
});
export type RunPolicyRequest = z.infer<typeof RunPolicyRequest>;

export const PolicyRequest = z.discriminatedUnion('kind', [SandboxPolicyRequest, RunPolicyRequest]);
export type PolicyRequest = z.infer<typeof PolicyRequest>;

/** What already exists or was spent, counted by the caller before this request. */
export const PolicyUsage = z.strictObject({
  namespaceSandboxes: z.int().nonnegative(),
  userSandboxes: z.int().nonnegative(),
  namespaceConcurrentRuns: z.int().nonnegative(),
  userConcurrentRuns: z.int().nonnegative(),
  userSpentTodayUsd: z.number().nonnegative(),
  namespaceSpentTodayUsd: z.number().nonnegative(),
});
export type PolicyUsage = z.infer<typeof PolicyUsage>;

/** Nothing counted yet: no sandboxes, no runs, nothing spent. */
export const NO_USAGE: PolicyUsage = Object.freeze({
  namespaceSandboxes: 0,
  userSandboxes: 0,
  namespaceConcurrentRuns: 0,
  userConcurrentRuns: 0,
  userSpentTodayUsd: 0,
  namespaceSpentTodayUsd: 0,
});

/**
 * Every violation of `policy` by `request`, all at once and in a fixed order (empty = allowed).
 * Pure and total for inputs that satisfy the schemas above.
 *
 * Sandbox rules, each skipped when the policy leaves its field unset:
 * - templates: `name` for a SandboxTemplate, `ClusterSandboxTemplate/name` for a cluster one;
 *   `*` matches any, a trailing `*` matches a prefix (`python-*`); an empty list allows none.
 * - images: the image's repository, normalised as Docker does (`ubuntu` →
 *   `docker.io/library/ubuntu`), must equal an approved prefix or sit below it on a `/`
 *   boundary. A sandbox without an image (host view or rootfs) has nothing to check.
 * - cpu, memory, storage: compared as quantities (`1Gi` equals `1024Mi`); an absent request value
 *   is not a violation. `maxStorage` caps both `resources.storage` and `workspace.size`.
 * - timeout, idleTimeout: an absent or `0` request means no limit and exceeds any finite cap; a
 *   cap of `0` means no cap.
 * - egress: `open` violates a set `allowedEgressDomains`; unless egress is `none`, each requested
 *   domain must be covered by a policy pattern (`*.example.com` covers `a.example.com` and
 *   `*.a.example.com`, not `example.com`).
 * - host paths: every `mounts[i].hostPath` must lie within a root of `allowedHostPaths`
 *   (lexically, on path boundaries); absent or empty allows none. Symlinks are resolved where
 *   the directory is, by the runtime.
 * - quotas: one more sandbox must not take the namespace or user count past its maximum.
 *
 * Run rules: one more run must not take concurrent runs past the namespace or user maximum; an
 * asked `maxUsd` must not exceed `maxUsdPerRun` (asking none is no violation: the run gets the cap,
 * see {@link runBudgetUsd}); a user or namespace whose spend today has reached its daily limit
 * cannot start runs.
 */
export function evaluate(
  request: PolicyRequest,
  usage: PolicyUsage,
  policy: PolicySpec,
): Violation[] {
  switch (request.kind) {
    case 'sandbox':
      return [
        ...checkTemplate(request.templateRef, policy.allowedTemplates),
        ...checkImage(request.spec.image, policy.approvedImageRegistries),
        ...checkResources(request.spec, policy.resources ?? {}),
        ...checkTimeout('timeout', request.spec.timeout, policy.maxTimeout),
        ...checkTimeout('idleTimeout', request.spec.idleTimeout, policy.maxIdleTimeout),
        ...checkEgress(request.spec.network ?? {}, policy.allowedEgressDomains),
        ...checkHostPaths(request.spec.mounts ?? [], policy.allowedHostPaths ?? []),
        ...checkSandboxQuotas(request, usage, policy.sandboxes ?? {}),
      ];
    case 'run':
      return [
        ...checkConcurrentRuns(request, usage, policy.runs ?? {}),
        ...checkBudgets(request, usage, policy.budgets ?? {}),
      ];
    default: {
      const unhandled: never = request;
      throw new Error(`unhandled policy request ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Throws `policy_violation` with `details.violations` when `evaluate` finds any violation. */
export function assertAllowed(
  request: PolicyRequest,
  usage: PolicyUsage,
  policy: PolicySpec,
): void {
  const violations = evaluate(request, usage, policy);
  if (violations.length === 0) return;
  const codes = [...new Set(violations.map((v) => v.code))].join(', ');
  const noun = violations.length === 1 ? 'violation' : 'violations';
  throw new PaddockError(
    ErrorCode.PolicyViolation,
    `${request.kind} refused by policy: ${violations.length} ${noun} (${codes})`,
    { violations },
  );
}

/** The budget a run gets: its own `maxUsd` capped by `maxUsdPerRun`; undefined = no limit. */
export function runBudgetUsd(maxUsd: number | undefined, policy: PolicySpec): number | undefined {
  const cap = policy.budgets?.maxUsdPerRun;
  if (cap === undefined) return maxUsd;
  return maxUsd === undefined ? cap : Math.min(maxUsd, cap);
}

function violation(code: ViolationCode, field: string, message: string): Violation {
  return { code, field, message };
}

function listed(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}

function templateKey(ref: TemplateRef): string {
  return ref.kind === TemplateKind.ClusterSandboxTemplate
    ? `${TemplateKind.ClusterSandboxTemplate}/${ref.name}`
    : ref.name;
}

function matchesTemplatePattern(key: string, pattern: string): boolean {
  // `SandboxTemplate/x` is accepted as the explicit spelling of `x`.
  const normalised = pattern.startsWith(`${TemplateKind.SandboxTemplate}/`)
    ? pattern.slice(TemplateKind.SandboxTemplate.length + 1)
    : pattern;
  if (normalised.endsWith('*')) return key.startsWith(normalised.slice(0, -1));
  return key === normalised;
}

function checkTemplate(ref: TemplateRef, allowed: readonly string[] | undefined): Violation[] {
  if (allowed === undefined) return [];
  const key = templateKey(ref);
  if (allowed.some((pattern) => matchesTemplatePattern(key, pattern))) return [];
  return [
    violation(
      ViolationCode.TemplateNotAllowed,
      'templateRef',
      `template ${key} is not allowed (allowed: ${listed(allowed)})`,
    ),
  ];
}

/**
 * The repository of an image reference, without tag or digest, with Docker's defaults applied:
 * `ubuntu:24.04` → `docker.io/library/ubuntu`, `acme/x` → `docker.io/acme/x`.
 */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@', 1)[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const tagColon = withoutDigest.indexOf(':', lastSlash + 1);
  const name = tagColon === -1 ? withoutDigest : withoutDigest.slice(0, tagColon);
  const firstSlash = name.indexOf('/');
  const first = firstSlash === -1 ? '' : name.slice(0, firstSlash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  const registry = !hasRegistry || first === 'index.docker.io' ? 'docker.io' : first;
  const path = hasRegistry ? name.slice(firstSlash + 1) : name;
  // Docker Hub's official images live under `library/`.
  if (registry === 'docker.io' && !path.includes('/')) return `docker.io/library/${path}`;
  return `${registry}/${path}`;
}

function checkImage(
  image: string | undefined,
  approved: readonly string[] | undefined,
): Violation[] {
  if (image === undefined || approved === undefined) return [];
  const repository = imageRepository(image);
  const isApproved = approved.some((prefix) => {
    const trimmed = prefix.replace(/\/+$/, '');
    return repository === trimmed || repository.startsWith(`${trimmed}/`);
  });
  if (isApproved) return [];
  return [
    violation(
      ViolationCode.ImageRegistryNotApproved,
      'spec.image',
      `image ${image} (${repository}) is not from an approved registry (approved: ${listed(approved)})`,
    ),
  ];
}

type ResourceCaps = NonNullable<PolicySpec['resources']>;

function checkResources(spec: SandboxEnvironment, caps: ResourceCaps): Violation[] {
  const resources = spec.resources ?? {};
  const checks: Array<[ViolationCode, string, string, string | undefined, string | undefined]> = [
    [ViolationCode.CpuLimitExceeded, 'spec.resources.cpu', 'cpu', resources.cpu, caps.maxCpu],
    [
      ViolationCode.MemoryLimitExceeded,
      'spec.resources.memory',
      'memory',
      resources.memory,
      caps.maxMemory,
    ],
    [
      ViolationCode.StorageLimitExceeded,
      'spec.resources.storage',
      'storage',
      resources.storage,
      caps.maxStorage,
    ],
    [
      ViolationCode.StorageLimitExceeded,
      'spec.workspace.size',
      'workspace size',
      spec.workspace?.size,
      caps.maxStorage,
    ],
  ];
  return checks.flatMap(([code, field, what, value, cap]) =>
    value !== undefined &&
    cap !== undefined &&
    compareQuantity(parseQuantity(value), parseQuantity(cap)) > 0
      ? [violation(code, field, `${what} ${value} exceeds the limit ${cap}`)]
      : [],
  );
}

function checkTimeout(
  field: 'timeout' | 'idleTimeout',
  requested: string | undefined,
  cap: string | undefined,
): Violation[] {
  if (cap === undefined) return [];
  const capMs = parseDurationMs(cap);
  if (capMs === 0) return [];
  const requestedMs = requested === undefined ? 0 : parseDurationMs(requested);
  if (requestedMs !== 0 && requestedMs <= capMs) return [];
  const code =
    field === 'timeout' ? ViolationCode.TimeoutExceeded : ViolationCode.IdleTimeoutExceeded;
  const shown =
    requested === undefined
      ? 'none (no limit)'
      : requestedMs === 0
        ? `${requested} (no limit)`
        : requested;
  return [violation(code, `spec.${field}`, `${field} ${shown} exceeds the limit ${cap}`)];
}

/** Whether a policy domain pattern covers a requested domain or pattern. */
export function domainCovered(requested: string, pattern: string): boolean {
  const domain = requested.toLowerCase();
  const rule = pattern.toLowerCase();
  if (rule.startsWith('*.')) return domain.endsWith(rule.slice(1));
  return domain === rule;
}

function checkEgress(
  network: NonNullable<SandboxEnvironment['network']>,
  allowed: readonly string[] | undefined,
): Violation[] {
  if (allowed === undefined || network.egress === Egress.None) return [];
  const found: Violation[] = [];
  if (network.egress === Egress.Open) {
    found.push(
      violation(
        ViolationCode.EgressDomainNotAllowed,
        'spec.network.egress',
        `egress open is not allowed: only these domains may be reached (${listed(allowed)})`,
      ),
    );
  }
  (network.allowedDomains ?? []).forEach((domain, index) => {
    if (allowed.some((pattern) => domainCovered(domain, pattern))) return;
    found.push(
      violation(
        ViolationCode.EgressDomainNotAllowed,
        `spec.network.allowedDomains[${index}]`,
        `egress domain ${domain} is not allowed (allowed: ${listed(allowed)})`,
      ),
    );
  });
  return found;
}

function checkHostPaths(
  mounts: NonNullable<SandboxEnvironment['mounts']>,
  allowed: readonly string[],
): Violation[] {
  return mounts.flatMap((mount, index) =>
    mount.hostPath === undefined || allowedRootOf(mount.hostPath, allowed) !== undefined
      ? []
      : [
          violation(
            ViolationCode.HostPathNotAllowed,
            `spec.mounts[${index}].hostPath`,
            `host path ${mount.hostPath} is not under an allowed host path (allowed: ${listed(allowed)})`,
          ),
        ],
  );
}

/** A violation when one more would take `current` past `max`. */
function checkOneMore(
  code: ViolationCode,
  field: 'namespace' | 'user',
  who: string,
  current: number,
  max: number | undefined,
  what: string,
): Violation[] {
  if (max === undefined || current + 1 <= max) return [];
  return [violation(code, field, `${field} ${who} has ${current} ${what}, the limit is ${max}`)];
}

function checkSandboxQuotas(
  request: SandboxPolicyRequest,
  usage: PolicyUsage,
  quotas: NonNullable<PolicySpec['sandboxes']>,
): Violation[] {
  return [
    ...checkOneMore(
      ViolationCode.NamespaceQuotaExceeded,
      'namespace',
      request.namespace,
      usage.namespaceSandboxes,
      quotas.maxPerNamespace,
      'sandboxes',
    ),
    ...checkOneMore(
      ViolationCode.UserQuotaExceeded,
      'user',
      request.user,
      usage.userSandboxes,
      quotas.maxPerUser,
      'sandboxes',
    ),
  ];
}

function checkConcurrentRuns(
  request: RunPolicyRequest,
  usage: PolicyUsage,
  runs: NonNullable<PolicySpec['runs']>,
): Violation[] {
  const code = ViolationCode.ConcurrentRunsExceeded;
  return [
    ...checkOneMore(
      code,
      'namespace',
      request.namespace,
      usage.namespaceConcurrentRuns,
      runs.maxConcurrentPerNamespace,
      'concurrent runs',
    ),
    ...checkOneMore(
      code,
      'user',
      request.user,
      usage.userConcurrentRuns,
      runs.maxConcurrentPerUser,
      'concurrent runs',
    ),
  ];
}

function checkBudgets(
  request: RunPolicyRequest,
  usage: PolicyUsage,
  budgets: NonNullable<PolicySpec['budgets']>,
): Violation[] {
  const code = ViolationCode.BudgetExceeded;
  const found: Violation[] = [];
  const perRun = budgets.maxUsdPerRun;
  if (request.maxUsd !== undefined && perRun !== undefined && request.maxUsd > perRun) {
    found.push(
      violation(code, 'maxUsd', `maxUsd ${request.maxUsd} exceeds the per-run limit ${perRun}`),
    );
  }
  const daily: Array<['user' | 'namespace', string, number, number | undefined]> = [
    ['user', request.user, usage.userSpentTodayUsd, budgets.maxUsdPerUserPerDay],
    [
      'namespace',
      request.namespace,
      usage.namespaceSpentTodayUsd,
      budgets.maxUsdPerNamespacePerDay,
    ],
  ];
  for (const [field, who, spent, limit] of daily) {
    if (limit !== undefined && spent >= limit) {
      found.push(
        violation(
          code,
          field,
          `${field} ${who} spent ${spent} USD today, the daily limit is ${limit}`,
        ),
      );
    }
  }
  return found;
}
