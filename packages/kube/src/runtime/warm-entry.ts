/**
 * The control plane's generic warm-pool entries on pods. The pool names an entry in the runtime
 * namespace `paddock-warm` (`w-<tag>-<random>`, a made-up uid) and its template; on Kubernetes
 * the entry is the builders' warm instance (`warmInstance`: `<template>-warm-<entry>` in the
 * template's namespace, owned by the template, labelled `warm-pool`) whose objects also carry the
 * entry's name and uid as labels, so that `list` names the entry as the pool knows it and every
 * call on the entry's ref finds its objects by label. A claim re-owns and relabels the objects
 * (`claimPatch`, minus the entry's labels) and from then on the sandbox is known by the ref
 * `<namespace>/<instance>/<Sandbox uid>` (`refOfOwned`).
 */
import {
  type AnyTemplate,
  API_VERSION,
  ErrorCode,
  PaddockError,
  type Sandbox,
  type SandboxEnvironment,
  type SandboxRef,
  TemplateKind,
  type TemplateRef,
} from '@paddock/core';
import { type Instance, labelKeys } from '../objects/labels.ts';
import { dnsLabel } from '../objects/names.ts';
import type { ObjectOptions } from '../objects/options.ts';
import { type ClaimPatch, claimPatch, warmInstance } from '../objects/warm-pool.ts';
import type { OwnedMeta } from './instance-ref.ts';

/** The control plane's generic warm-pool namespace (`WARM_POOL_NAMESPACE` of @paddock/control). */
export const WARM_NAMESPACE = 'paddock-warm';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The labels that tie an unclaimed instance to its pool entry; a claim removes them. */
export function entryKeys(options: Pick<ObjectOptions, 'labelPrefix'>) {
  const p = options.labelPrefix;
  return { name: `${p}warm-entry`, uid: `${p}warm-entry-uid` } as const;
}

/** The template of a warm provision request (`ProvisionRequest.warmPool.template`). */
export type EntryTemplate = {
  kind: TemplateKind;
  name: string;
  namespace?: string;
  uid: string;
};

/**
 * The namespace an entry of `template` lives in: the template's. `runtime_unavailable` for a
 * ClusterSandboxTemplate: an owner reference cannot cross namespaces, nor can a claimed pod move
 * into its Sandbox's, so an entry of a cluster template has nowhere to wait.
 */
export function entryNamespace(template: EntryTemplate): string {
  if (template.kind === TemplateKind.SandboxTemplate && template.namespace !== undefined) {
    return template.namespace;
  }
  throw new PaddockError(
    ErrorCode.RuntimeUnavailable,
    `the Kubernetes runtime keeps no warm pool for ${template.kind} ${template.name}: a warm pod must wait in the namespace of the Sandbox that will claim it, and a cluster-scoped template has none (declare the pool on a SandboxTemplate in that namespace)`,
  );
}

/**
 * The template object the instance is built from and owned by (the builders need its kind, name
 * and uid; the caller checks the uid against the API first).
 */
export function templateOf(template: EntryTemplate, namespace: string): AnyTemplate {
  return {
    apiVersion: API_VERSION,
    kind: TemplateKind.SandboxTemplate,
    metadata: { name: template.name, namespace, uid: template.uid },
    spec: {},
  };
}

/**
 * The instance of a warm entry: the builders' warm instance named `<template>-warm-<entry>`, with
 * the entry's labels. `validation_failed` when the entry's name or uid is no label value.
 */
export function entryInstance(
  template: AnyTemplate,
  environment: SandboxEnvironment,
  entry: SandboxRef,
  options: ObjectOptions,
): Instance {
  const bad = [
    ['name', entry.name],
    ['uid', entry.uid],
  ].filter(([, value]) => value === undefined || value.length > 63 || !LABEL_VALUE.test(value));
  if (bad.length > 0) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `warm-pool entry ${entry.name}: its ${bad.map(([field]) => field).join(' and ')} must be label values`,
      { issues: bad.map(([field]) => ({ path: field ?? '', message: 'is not a label value' })) },
    );
  }
  const namespace = template.metadata.namespace ?? '';
  const instance = warmInstance(template, environment, namespace, dnsLabel(entry.name), options);
  const keys = entryKeys(options);
  return {
    ...instance,
    labels: { ...instance.labels, [keys.name]: entry.name, [keys.uid]: entry.uid },
  };
}

/** The label selector of an entry's unclaimed objects. */
export function entrySelector(entry: SandboxRef, options: ObjectOptions): string {
  const keys = entryKeys(options);
  return `${keys.name}=${entry.name},${keys.uid}=${entry.uid}`;
}

type Labelled = OwnedMeta & {
  metadata?: { namespace?: string; labels?: Record<string, string> };
};

/**
 * The ref an object of Paddock's is known by: an unclaimed entry's `paddock-warm/<entry>/<uid>`;
 * for an object a Sandbox controls, `<namespace>/<Sandbox>/<uid>` when its instance is named
 * after the Sandbox, else (a claimed warm instance) `<namespace>/<instance>/<uid>`.
 */
export function refOfOwned(object: Labelled, options: ObjectOptions): SandboxRef | undefined {
  const labels = object.metadata?.labels ?? {};
  const namespace = object.metadata?.namespace;
  const instance = labels[labelKeys(options).instance];
  const owner = object.metadata?.ownerReferences?.find((o) => o.controller === true);
  if (namespace === undefined || instance === undefined || owner?.uid === undefined)
    return undefined;
  if (owner.kind === 'Sandbox' && owner.name !== undefined) {
    const name = dnsLabel(owner.name) === instance ? owner.name : instance;
    return { namespace, name, uid: owner.uid };
  }
  const keys = entryKeys(options);
  const entry = labels[keys.name];
  const uid = labels[keys.uid];
  if (owner.kind !== TemplateKind.SandboxTemplate || entry === undefined || uid === undefined)
    return undefined;
  return { namespace: WARM_NAMESPACE, name: entry, uid };
}

/**
 * The merge patch that hands one object of an entry to `claimant` (whose name and uid the owner
 * reference takes): `claimPatch`, the entry's labels removed too. With `resourceVersion`, a
 * compare-and-swap.
 */
export function entryClaimPatch(
  claimant: SandboxRef,
  templateRef: TemplateRef,
  options: ObjectOptions,
  resourceVersion?: string,
): ClaimPatch {
  const sandbox: Sandbox = {
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { name: claimant.name, namespace: claimant.namespace, uid: claimant.uid },
    spec: { templateRef, desiredState: 'Running' },
  };
  const patch = claimPatch(sandbox, options, resourceVersion);
  const keys = entryKeys(options);
  return {
    metadata: {
      ...patch.metadata,
      labels: { ...patch.metadata.labels, [keys.name]: null, [keys.uid]: null },
    },
  };
}
