import type { ErrorDetails } from './errors.ts';
import { ErrorCode, PaddockError } from './errors.ts';
import type { SandboxOverrides } from './sandbox.ts';
import type { AnyTemplate, OverridableField, SandboxEnvironment, TemplateRef } from './template.ts';
import { MERGE_RULES, TemplateKind } from './template.ts';
import type { Merged, MergeRules, Origins } from './template-merge.ts';
import { emptyMerged, mergeEnvironment, sourceLabel } from './template-merge.ts';

/**
 * The most `inheritsFrom` hops a resolution follows: a chain of `MAX_INHERITANCE_DEPTH + 1` (11)
 * templates resolves, one more template is `template_invalid`.
 */
export const MAX_INHERITANCE_DEPTH = 10;

/**
 * Finds a template: `namespace` is given for `SandboxTemplate` and `undefined` for
 * `ClusterSandboxTemplate`. Synchronous and pure: the caller preloads what it may need.
 */
export type TemplateLookup = (
  kind: TemplateKind,
  namespace: string | undefined,
  name: string,
) => AnyTemplate | undefined;

export interface ResolveOptions {
  readonly lookup: TemplateLookup;
  /** The referrer's namespace, where a `SandboxTemplate` ref is looked up; absent for a cluster-scoped referrer. */
  readonly namespace?: string;
  /** Who refers to the first template (`Sandbox/my-box`), named when it does not exist. */
  readonly referrer?: string;
}

/** A template after inheritance. */
export interface ResolvedTemplate {
  /** The merged environment; `inheritsFrom`, `warmPool` and `overridable` are not part of it. */
  readonly spec: SandboxEnvironment;
  /** What a Sandbox may override: the nearest declaration in the chain wins; none by default. */
  readonly overridable: readonly OverridableField[];
  /** Provenance of every value of `spec` (format on `Origins`). */
  readonly origins: Origins;
  /**
   * Labels of the templates merged, root first, the resolved template last (merge order).
   * `TemplateStatus.chain` (nearest ancestor first) is `chain.slice(0, -1).reverse()`.
   */
  readonly chain: readonly string[];
}

export const OverrideViolationCode = { OverrideNotAllowed: 'override_not_allowed' } as const;
export type OverrideViolationCode =
  (typeof OverrideViolationCode)[keyof typeof OverrideViolationCode];

/** A Sandbox override the template does not allow, shaped like a governance violation. */
export interface OverrideViolation {
  readonly code: OverrideViolationCode;
  readonly field: string;
  readonly message: string;
}

export interface AppliedOverrides extends Merged<SandboxEnvironment> {
  /** Every disallowed field, sorted by field name; empty when all overrides were applied. */
  readonly violations: readonly OverrideViolation[];
}

/**
 * Resolves the template `ref` points at: walks `inheritsFrom` to the root, then merges root → leaf
 * by `MERGE_RULES`. A `SandboxTemplate` lives in the namespace of whoever refers to it; a
 * namespaced template may inherit from its own namespace or from a `ClusterSandboxTemplate`, a
 * cluster template only from cluster templates. Deterministic, and bounded on any input: each
 * hop is checked for scope, then for a cycle, then for depth, and only then looked up.
 *
 * @throws PaddockError `template_invalid` for an inheritance cycle (`details.cycle`: labels in
 *   order, first = last), a chain deeper than `MAX_INHERITANCE_DEPTH` (`details.limit`,
 *   `details.chain`: leaf first, ending with the template one hop too far), or a namespaced template referred to from cluster scope (`details.template`,
 *   `details.referencedBy`).
 * @throws PaddockError `template_not_found` when a template of the chain does not exist
 *   (`details.template`, `details.namespace`, `details.referencedBy`).
 */
export function resolveTemplate(ref: TemplateRef, options: ResolveOptions): ResolvedTemplate {
  const chain: string[] = [];
  const templates: AnyTemplate[] = [];
  let referrer = options.referrer;
  let target = locate(ref, options.namespace, referrer);
  for (;;) {
    const seenAt = chain.indexOf(target.label);
    if (seenAt !== -1) throw cycleError([...chain.slice(seenAt), target.label]);
    if (chain.length > MAX_INHERITANCE_DEPTH) throw depthError([...chain, target.label]);
    const template = options.lookup(target.kind, target.namespace, target.name);
    if (template === undefined) throw notFoundError(target, referrer);
    chain.push(target.label);
    templates.push(template);
    const parent = template.spec.inheritsFrom;
    if (parent === undefined) break;
    referrer = target.label;
    target = locate(parent, target.namespace, referrer);
  }

  chain.reverse();
  templates.reverse();
  let merged = emptyMerged();
  templates.forEach((template, index) => {
    merged = mergeEnvironment(merged, template.spec, chain[index] ?? '');
  });
  const { overridable = [], ...spec } = merged.spec;
  const { overridable: _overridableOrigin, ...origins } = merged.origins;
  return { spec, overridable: [...new Set(overridable)], origins, chain };
}

/**
 * Applies a Sandbox's overrides to a resolved template. Only top-level fields listed in
 * `resolved.overridable` are applied, merged by the same rules as inheritance (env by name, …),
 * their values attributed to `sandboxLabel` (`Sandbox/my-box`). Every other field present in
 * `overrides` is left out and reported as an `override_not_allowed` violation: all of them, not
 * the first. Never throws; the caller decides what violations mean.
 */
export function applyOverrides(
  resolved: ResolvedTemplate,
  overrides: SandboxOverrides,
  sandboxLabel: string,
  rules: MergeRules = MERGE_RULES,
): AppliedOverrides {
  const allowed = new Set<string>(resolved.overridable);
  const template = resolved.chain.at(-1) ?? 'the template';
  const applicable: SandboxOverrides = { ...overrides };
  const violations: OverrideViolation[] = [];
  const present = Object.entries(overrides).filter(([, value]) => value !== undefined);
  for (const field of present.map(([key]) => key).sort()) {
    if (allowed.has(field)) continue;
    Reflect.deleteProperty(applicable, field);
    violations.push({
      code: OverrideViolationCode.OverrideNotAllowed,
      field,
      message: `field "${field}" is not overridable in template ${template}`,
    });
  }
  const base: Merged<SandboxEnvironment> = { spec: resolved.spec, origins: resolved.origins };
  const { spec, origins } = mergeEnvironment(base, applicable, sandboxLabel, rules);
  return { spec, origins, violations };
}

interface Target {
  readonly kind: TemplateKind;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly label: string;
}

/**
 * Where a ref points, seen from a referrer in `namespace` (`undefined`: cluster scope). Templates
 * found from cluster scope look up their own parents from cluster scope too.
 */
function locate(
  ref: TemplateRef,
  namespace: string | undefined,
  referrer: string | undefined,
): Target {
  const kind = ref.kind ?? TemplateKind.SandboxTemplate;
  const label = sourceLabel(kind, ref.name);
  if (kind === TemplateKind.ClusterSandboxTemplate) {
    return { kind, namespace: undefined, name: ref.name, label };
  }
  if (namespace === undefined) {
    const message =
      referrer === undefined
        ? `${label} is a namespaced template and no namespace was given`
        : `${referrer} is cluster-scoped and cannot inherit from ${label}, a namespaced template`;
    throw new PaddockError(ErrorCode.TemplateInvalid, message, {
      template: label,
      referencedBy: referrer ?? null,
    });
  }
  return { kind, namespace, name: ref.name, label };
}

function cycleError(cycle: readonly string[]): PaddockError {
  return new PaddockError(ErrorCode.TemplateInvalid, `inheritance cycle: ${cycle.join(' → ')}`, {
    cycle: [...cycle],
  });
}

function depthError(chain: readonly string[]): PaddockError {
  const leaf = chain[0] ?? '';
  return new PaddockError(
    ErrorCode.TemplateInvalid,
    `inheritance of ${leaf} is deeper than the limit of ${MAX_INHERITANCE_DEPTH} inheritsFrom levels: ${chain.join(' → ')}`,
    { limit: MAX_INHERITANCE_DEPTH, chain: [...chain] },
  );
}

function notFoundError(target: Target, referrer: string | undefined): PaddockError {
  const where = target.namespace === undefined ? '' : ` in namespace "${target.namespace}"`;
  const by = referrer === undefined ? '' : ` (referenced by ${referrer})`;
  const details: ErrorDetails = {
    template: target.label,
    namespace: target.namespace ?? null,
    referencedBy: referrer ?? null,
  };
  return new PaddockError(
    ErrorCode.TemplateNotFound,
    `template ${target.label} not found${where}${by}`,
    details,
  );
}
