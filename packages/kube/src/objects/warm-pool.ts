/**
 * Warm pools on Kubernetes: per template, `warmPool.size` instances (pod, workspace claim,
 * service account, policies) made ahead of any Sandbox, owned by the template and labelled
 * `warm-pool=<template>`. A Sandbox whose resolved environment hashes like a warm instance's
 * claims it with one merge patch per object (`claimPatch`): its labels gain the Sandbox and lose
 * the pool, and its owner reference becomes the Sandbox's. Policies select by instance, so the
 * pod's network and identity do not change. The pool is refilled from `planWarmPool`.
 */

import type { AnyTemplate, Sandbox, SandboxEnvironment, TemplateRef } from '@paddock/core';
import type { Pod } from './kube-types.ts';
import {
  baseLabels,
  environmentHash,
  type Instance,
  labelKeys,
  sandboxOwnerReference,
  templateLabel,
  templateOwnerReference,
} from './labels.ts';
import { objectName } from './names.ts';
import type { ObjectOptions, ServiceEndpoint } from './options.ts';
import { type InstanceObjects, instanceObjects } from './sandbox-objects.ts';

/** What the planner needs to know of one warm pod (`warmPoolMember` reads it off a Pod). */
export type WarmPoolMember = {
  name: string;
  envHash: string | undefined;
  isReady: boolean;
  /** The pod ended (Succeeded or Failed): it can serve no Sandbox. */
  isFinished: boolean;
  /** Deletion already under way: neither counted nor deleted again. */
  isDeleting: boolean;
  creationTimestamp?: string;
};

/** Create this many new instances; delete these (by instance name). */
export type WarmPoolPlan = { create: number; delete: string[] };

function templateRefOf(template: AnyTemplate): TemplateRef {
  return { kind: template.kind, name: template.metadata.name ?? '' };
}

/** Labels selecting the unclaimed warm pods of a template (to list them, or to claim one). */
export function warmPoolSelector(
  template: TemplateRef,
  options: ObjectOptions,
  envHash?: string,
): Record<string, string> {
  const keys = labelKeys(options);
  return {
    [keys.warmPool]: templateLabel(template),
    ...(envHash === undefined ? {} : { [keys.envHash]: envHash }),
  };
}

export function warmPoolMember(pod: Pod, options: ObjectOptions): WarmPoolMember {
  const phase = pod.status?.phase;
  const created = pod.metadata?.creationTimestamp;
  return {
    name: pod.metadata?.name ?? '',
    envHash: pod.metadata?.labels?.[labelKeys(options).envHash],
    isReady:
      pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    isFinished: phase === 'Succeeded' || phase === 'Failed',
    isDeleting: pod.metadata?.deletionTimestamp !== undefined,
    ...(created === undefined ? {} : { creationTimestamp: new Date(created).toISOString() }),
  };
}

/**
 * What to do to a pool of `size` for an environment hashing to `envHash`: delete members that
 * ended or were built from another environment; delete the surplus above `size` (members not
 * ready first, then the newest); create the shortfall. Members being deleted are ignored.
 */
export function planWarmPool(
  envHash: string,
  existing: readonly WarmPoolMember[],
  size: number,
): WarmPoolPlan {
  const live = existing.filter((m) => !m.isDeleting);
  const doomed = live.filter((m) => m.isFinished || m.envHash !== envHash);
  const kept = live
    .filter((m) => !doomed.includes(m))
    .sort(
      (a, b) =>
        Number(b.isReady) - Number(a.isReady) ||
        (a.creationTimestamp ?? '').localeCompare(b.creationTimestamp ?? '') ||
        a.name.localeCompare(b.name),
    );
  const target = Math.max(0, size);
  const surplus = kept.slice(target);
  return {
    create: Math.max(0, target - kept.length),
    delete: [...doomed, ...surplus].map((m) => m.name),
  };
}

/**
 * The instance of a warm slot: named `<template>-warm-<suffix>` in `namespace`, owned by the
 * template. `suffix` is the caller's random token (as `generateName` would make); a name
 * already taken fails the create with `already_exists`, and the caller draws again.
 */
export function warmInstance(
  template: AnyTemplate,
  environment: SandboxEnvironment,
  namespace: string,
  suffix: string,
  options: ObjectOptions,
): Instance {
  const keys = labelKeys(options);
  const ref = templateRefOf(template);
  const name = objectName(`${ref.name}-warm`, suffix);
  return {
    name,
    namespace,
    owner: templateOwnerReference(template),
    labels: {
      ...baseLabels(),
      [keys.instance]: name,
      [keys.template]: templateLabel(ref),
      [keys.warmPool]: templateLabel(ref),
      [keys.envHash]: environmentHash(environment),
    },
  };
}

/** The objects of one warm slot: those of a Sandbox but port Services, made on claim. */
export function warmPoolObjects(
  template: AnyTemplate,
  environment: SandboxEnvironment,
  namespace: string,
  suffix: string,
  options: ObjectOptions,
  services: readonly ServiceEndpoint[] = [],
): InstanceObjects {
  const instance = warmInstance(template, environment, namespace, suffix, options);
  return instanceObjects(instance, environment, options, services);
}

/** A JSON merge patch (`application/merge-patch+json`) of object metadata. */
export type ClaimPatch = {
  metadata: {
    labels: Record<string, string | null>;
    ownerReferences: ReturnType<typeof sandboxOwnerReference>[];
    resourceVersion?: string;
  };
};

export const MERGE_PATCH_CONTENT_TYPE = 'application/merge-patch+json';

/**
 * The patch that hands a warm instance's object to `sandbox`: apply it to each of the
 * instance's objects (pod first). With the pod's `resourceVersion`, the pod's patch is a
 * compare-and-swap, so two Sandboxes never claim one pod: the loser gets `conflict`.
 */
export function claimPatch(
  sandbox: Sandbox,
  options: ObjectOptions,
  resourceVersion?: string,
): ClaimPatch {
  const keys = labelKeys(options);
  const owner = sandboxOwnerReference(sandbox);
  return {
    metadata: {
      labels: { [keys.sandbox]: owner.name, [keys.warmPool]: null },
      ownerReferences: [owner],
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    },
  };
}
