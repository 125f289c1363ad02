import {
  type AnyTemplate,
  applyOverrides,
  effectivePolicy,
  evaluate,
  isPaddockError,
  NO_USAGE,
  type Origins,
  type PolicySpec,
  type PolicyUsage,
  parseDurationMs,
  type ResourceStore,
  resolveTemplate,
  type Sandbox,
  type SandboxEnvironment,
  SandboxPhase,
  type TemplateKind,
  ViolationCode,
} from '@paddock/core';

/** The annotation the server writes with the id of the user who created a sandbox. */
export const OWNER_ANNOTATION = 'paddock.dev/owner';
/** The name of the ClusterPolicy and the namespace Policy that govern admission. */
export const DEFAULT_POLICY_NAME = 'default';

export type AdmissionResult =
  | { admitted: true; spec: SandboxEnvironment; origins: Origins }
  | {
      admitted: false;
      message: string;
      violations: Array<{ code: string; field: string; message: string }>;
    };

export type AdmissionOptions = {
  /**
   * Where the sandboxes that hold quota are counted (default: `store`). A controller's informer
   * cache answers without reading and decoding every stored Sandbox on each admission; a count
   * from it may trail the store by a moment, as any count checked at create may, and the
   * reconciler's own admission counts again.
   */
  sandboxes?: ResourceStore;
  /**
   * Where the template chain is read first (default: `store`), a controller's informer cache: no
   * list of every template from the store on each admission. A chain it does not hold whole (a
   * template created a moment ago, not yet in the cache) is read from `store`.
   */
  templates?: ResourceStore;
  /**
   * Where the policies are read (default: `store`), a controller's informer cache, as the
   * reconciler's own admission reads them.
   */
  policies?: ResourceStore;
  /**
   * Pending sandboxes (uids) that hold quota all the same: admitted by the reconciler, their
   * status not written yet (`AdmissionLedger`).
   */
  admitted?: ReadonlySet<string>;
};

/**
 * Resolves a Sandbox's template chain and overrides, then evaluates governance: every refused
 * override and every policy violation comes back together. Template errors (a cycle, a missing
 * template) are thrown as `PaddockError`s for the caller to record.
 */
export async function admitSandbox(
  store: ResourceStore,
  sandbox: Sandbox,
  options: AdmissionOptions = {},
): Promise<AdmissionResult> {
  const namespace = sandbox.metadata.namespace ?? 'default';
  const resolve = (templates: AnyTemplate[]) =>
    resolveTemplate(sandbox.spec.templateRef, {
      lookup: (kind: TemplateKind, ns: string | undefined, name: string) =>
        templates.find(
          (t) => t.kind === kind && t.metadata.name === name && t.metadata.namespace === ns,
        ),
      namespace,
      referrer: `Sandbox/${sandbox.metadata.name}`,
    });
  let resolved: ReturnType<typeof resolve>;
  try {
    resolved = resolve(await loadTemplates(options.templates ?? store, namespace));
  } catch (error) {
    if (options.templates === undefined || !isPaddockError(error, 'template_not_found'))
      throw error;
    resolved = resolve(await loadTemplates(store, namespace));
  }
  const applied = applyOverrides(
    resolved,
    sandbox.spec.overrides ?? {},
    `Sandbox/${sandbox.metadata.name}`,
  );

  const policy = await loadPolicy(options.policies ?? store, namespace);
  const owner = sandbox.metadata.annotations?.[OWNER_ANNOTATION] ?? 'anonymous';
  // Sandboxes are counted only against a quota: without one the count decides nothing.
  const hasQuota =
    policy.sandboxes?.maxPerNamespace !== undefined || policy.sandboxes?.maxPerUser !== undefined;
  const usage = hasQuota
    ? await sandboxUsage(
        options.sandboxes ?? store,
        namespace,
        owner,
        sandbox.metadata.uid,
        options.admitted,
      )
    : NO_USAGE;
  const violations = [
    ...applied.violations.map((v) => ({
      code: v.code,
      field: `spec.overrides.${v.field}`,
      message: v.message,
    })),
    ...evaluate(
      {
        kind: 'sandbox',
        namespace,
        user: owner,
        templateRef: sandbox.spec.templateRef,
        spec: { ...applied.spec, ...lifetimeOf(sandbox, applied.spec.timeout) },
      },
      usage,
      policy,
    ).map((v) =>
      v.code === ViolationCode.TimeoutExceeded && sandbox.spec.shutdownTime !== undefined
        ? { ...v, field: 'spec.shutdownTime' }
        : v,
    ),
  ];
  if (violations.length > 0) {
    const codes = [...new Set(violations.map((v) => v.code))].join(', ');
    return {
      admitted: false,
      violations,
      message: `refused: ${violations.length} violation(s) (${codes}): ${violations.map((v) => v.message).join('; ')}`,
    };
  }
  return {
    admitted: true,
    spec: withSandboxVolumes(applied.spec, sandbox),
    origins: applied.origins,
  };
}

/** The sandbox's own `spec.volumes` merged by name over its template's (the sandbox's win). */
function withSandboxVolumes(spec: SandboxEnvironment, sandbox: Sandbox): SandboxEnvironment {
  const own = sandbox.spec.volumes ?? [];
  if (own.length === 0) return spec;
  const names = new Set(own.map((v) => v.name));
  return { ...spec, volumes: [...(spec.volumes ?? []).filter((v) => !names.has(v.name)), ...own] };
}

/**
 * The lifetime the policy's `maxTimeout` is checked against: the template's `timeout`, or the
 * time from the sandbox's creation to its `shutdownTime` when that is sooner (or there is no
 * timeout).
 */
function lifetimeOf(sandbox: Sandbox, timeout: string | undefined): { timeout?: string } {
  const { shutdownTime } = sandbox.spec;
  if (shutdownTime === undefined) return {};
  const created = sandbox.metadata.creationTimestamp;
  const fromMs = created === undefined ? Date.now() : Date.parse(created);
  const untilShutdownMs = Math.max(1, Date.parse(shutdownTime) - fromMs);
  const timeoutMs = timeout === undefined ? 0 : parseDurationMs(timeout);
  if (timeoutMs !== 0 && timeoutMs <= untilShutdownMs) return {};
  return { timeout: `${Math.ceil(untilShutdownMs / 1000)}s` };
}

async function loadTemplates(store: ResourceStore, namespace: string): Promise<AnyTemplate[]> {
  const [cluster, local] = await Promise.all([
    store.list('ClusterSandboxTemplate'),
    store.list('SandboxTemplate', { namespace }),
  ]);
  return [...cluster.items, ...local.items];
}

async function getSpec(
  store: ResourceStore,
  kind: 'ClusterPolicy' | 'Policy',
  namespace: string | undefined,
): Promise<PolicySpec | undefined> {
  const { items } = await store.list(kind, namespace === undefined ? {} : { namespace });
  return items.find((p) => p.metadata.name === DEFAULT_POLICY_NAME)?.spec;
}

/** The effective policy of a namespace: the cluster default merged with the namespace override. */
export async function loadPolicy(store: ResourceStore, namespace: string): Promise<PolicySpec> {
  const [cluster, local] = await Promise.all([
    getSpec(store, 'ClusterPolicy', undefined),
    getSpec(store, 'Policy', namespace),
  ]);
  return effectivePolicy(cluster, local);
}

/**
 * The phases in which a sandbox holds quota: it has (or keeps, stopped or paused) a workspace and
 * can run again without being admitted again.
 */
export const QUOTA_PHASES: ReadonlySet<string> = new Set([
  SandboxPhase.Creating,
  SandboxPhase.Running,
  SandboxPhase.Stopped,
  SandboxPhase.Paused,
]);

/** Sandboxes that hold quota, not counting the one being admitted. */
async function sandboxUsage(
  store: ResourceStore,
  namespace: string,
  owner: string,
  selfUid: string | undefined,
  admitted: ReadonlySet<string> = new Set(),
): Promise<PolicyUsage> {
  const { items } = await store.list('Sandbox', { namespace });
  const held = items.filter((s) => {
    if (s.metadata.uid === selfUid || s.metadata.deletionTimestamp) return false;
    const phase = s.status?.phase ?? SandboxPhase.Pending;
    return (
      QUOTA_PHASES.has(phase) ||
      (phase === SandboxPhase.Pending && admitted.has(s.metadata.uid ?? ''))
    );
  });
  return {
    ...NO_USAGE,
    namespaceSandboxes: held.length,
    userSandboxes: held.filter(
      (s) => (s.metadata.annotations?.[OWNER_ANNOTATION] ?? 'anonymous') === owner,
    ).length,
  };
}
