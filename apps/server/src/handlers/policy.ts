import { type PolicySource, TEMPLATE_POLICY_ROUTES } from '@paddock/api';
import {
  admitSandbox,
  admitWriteAccess,
  DEFAULT_POLICY_NAME,
  ownerOf,
  QUOTA_PHASES,
  withOwner,
} from '@paddock/control';
import {
  API_VERSION,
  ErrorCode,
  effectivePolicy,
  PaddockError,
  POLICY_MERGE_RULES,
  type PolicySpec,
  type Sandbox,
} from '@paddock/core';
import { json } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import type { HandlerCall } from '../server-deps.ts';

const CLUSTER: PolicySource = 'ClusterPolicy/default';
const NAMESPACE: PolicySource = 'Policy/default';

async function defaultSpec(
  call: HandlerCall,
  kind: 'ClusterPolicy' | 'Policy',
  namespace?: string,
): Promise<PolicySpec | undefined> {
  const { items } = await call.deps.engine.store.list(
    kind,
    namespace === undefined ? {} : { namespace },
  );
  return items.find((p) => p.metadata.name === DEFAULT_POLICY_NAME)?.spec;
}

function fieldsOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : {};
}

/** Field path of every value of `merged` → the policy whose value it is (the namespace's wins). */
function sourcesOf(merged: PolicySpec, local: PolicySpec | undefined) {
  const sources: Record<string, PolicySource> = {};
  for (const key of Object.keys(POLICY_MERGE_RULES) as Array<keyof PolicySpec>) {
    const value = merged[key];
    if (value === undefined) continue;
    if (POLICY_MERGE_RULES[key] === 'override') {
      sources[key] = local?.[key] === undefined ? CLUSTER : NAMESPACE;
      continue;
    }
    const nested = fieldsOf(local?.[key]);
    for (const field of Object.keys(fieldsOf(value))) {
      sources[`${key}.${field}`] = nested[field] === undefined ? CLUSTER : NAMESPACE;
    }
  }
  return sources;
}

/**
 * Sandboxes held in the namespace and by the caller, and today's spend as the daily budgets count
 * it (`spentToday`, the gateway ledger's totals): the namespace's from every user's runs, a sum
 * that names none of them, and the caller's in every namespace, as `maxUsdPerUserPerDay` counts.
 */
async function usageNow(call: HandlerCall, namespace: string) {
  const { store, spentToday } = call.deps.engine;
  const [{ items }, spent] = await Promise.all([
    store.list('Sandbox', { namespace }),
    spentToday({ user: call.principal.id, namespace }),
  ]);
  const held = items.filter(
    (s) => !s.metadata.deletionTimestamp && QUOTA_PHASES.has(s.status?.phase ?? ''),
  );
  return {
    namespaceSandboxes: held.length,
    userSandboxes: held.filter((s) => ownerOf(s) === call.principal.id).length,
    namespaceSpentTodayUsd: spent.namespaceSpentTodayUsd,
    userSpentTodayUsd: spent.userSpentTodayUsd,
  };
}

async function effective(call: HandlerCall, namespace: string) {
  const [cluster, local] = await Promise.all([
    defaultSpec(call, 'ClusterPolicy'),
    defaultSpec(call, 'Policy', namespace),
  ]);
  const spec = effectivePolicy(cluster, local);
  return json({
    apiVersion: API_VERSION,
    kind: 'EffectivePolicy',
    namespace,
    spec,
    sources: sourcesOf(spec, local),
    usage: await usageNow(call, namespace),
  });
}

/**
 * Admission without the store write: the sandbox is placed and owned as a create would do, and
 * refused as a create would be when it names what its owner may not use (another user's
 * snapshot, volume or credential: `not_found`, naming the field); governance answers as a verdict.
 */
async function check(call: HandlerCall, namespace: string, body: Sandbox) {
  if (body.metadata.namespace !== undefined && body.metadata.namespace !== namespace) {
    const message = `must be "${namespace}" (the path's)`;
    throw new PaddockError(ErrorCode.ValidationFailed, `metadata.namespace: ${message}`, {
      issues: [{ path: 'metadata.namespace', message }],
    });
  }
  const { uid: _uid, ...metadata } = body.metadata;
  const placed: Sandbox = {
    ...body,
    metadata: { ...metadata, name: metadata.name ?? metadata.generateName ?? 'dry-run', namespace },
  };
  const sandbox = withOwner(call.principal, placed) as Sandbox;
  const { store, credentials, controller } = call.deps.engine;
  await admitWriteAccess({ store, credentials }, call.principal, sandbox);
  const result = await admitSandbox(store, sandbox, { sandboxes: controller.cache });
  return json({
    apiVersion: API_VERSION,
    kind: 'PolicyCheckResult',
    admitted: result.admitted,
    violations: result.admitted ? [] : result.violations,
    ...(result.admitted ? { spec: result.spec } : {}),
  });
}

/** The effective policy of a namespace, and governance as a dry run. */
export const policyHandlers: RouteHandler[] = [
  on(TEMPLATE_POLICY_ROUTES.getEffectivePolicy, (call, { params }) =>
    effective(call, params.namespace),
  ),
  on(TEMPLATE_POLICY_ROUTES.checkSandboxPolicy, (call, { params, body }) =>
    check(call, params.namespace, body),
  ),
];
