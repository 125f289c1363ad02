/**
 * The instance of a runtime ref: what `sandboxInstance` makes for the Sandbox the ref names
 * (namespace, name → `dnsLabel`, a controller owner reference to the Sandbox with the ref's uid,
 * the Sandbox, template and environment-hash labels), built from the ref and the resolved
 * environment the runtime is given rather than from a Sandbox object.
 */
import {
  API_VERSION,
  type Sandbox,
  type SandboxEnvironment,
  type SandboxRef,
  type TemplateRef,
} from '@paddock/core';
import { type Instance, RUN_LABEL, sandboxInstance } from '../objects/labels.ts';
import { dnsLabel } from '../objects/names.ts';
import type { ObjectOptions } from '../objects/options.ts';

/** The name of the instance of the Sandbox `ref` names (its pod's name). */
export function instanceName(ref: Pick<SandboxRef, 'name'>): string {
  return dnsLabel(ref.name);
}

/**
 * The instance of `ref`, labelled as `sandboxInstance` labels the instance of the Sandbox it
 * names: the same function builds both, from a Sandbox holding only what it reads.
 * `sandboxName` is the Sandbox's name when the ref names a claimed warm instance (whose name is
 * the instance's, not the Sandbox's). `run` is the Sandbox's `RUN_LABEL`, when a Run made it.
 */
export function instanceFromRef(
  ref: SandboxRef,
  environment: SandboxEnvironment,
  templateRef: TemplateRef,
  options: ObjectOptions,
  sandboxName: string = ref.name,
  run?: string,
): Instance {
  const sandbox: Sandbox = {
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: {
      name: sandboxName,
      namespace: ref.namespace,
      uid: ref.uid,
      ...(run === undefined ? {} : { labels: { [RUN_LABEL]: run } }),
    },
    spec: { templateRef, desiredState: 'Running' },
    status: { phase: 'Creating', conditions: [], resolved: environment },
  };
  return sandboxInstance(sandbox, options, instanceName(ref));
}

/** An object's metadata, as far as ownership goes. */
export type OwnedMeta = {
  metadata?: {
    ownerReferences?: ReadonlyArray<{
      kind?: string;
      name?: string;
      uid?: string;
      controller?: boolean;
    }>;
  };
};

/** The uid of the Sandbox that controls `object`, if a Sandbox does. */
export function sandboxOwnerUid(object: OwnedMeta): string | undefined {
  return object.metadata?.ownerReferences?.find((o) => o.kind === 'Sandbox' && o.controller)?.uid;
}

/** The Sandbox that controls `object` as a ref (namespace from the object), if a Sandbox does. */
export function ownerRefOf(
  object: OwnedMeta & { metadata?: { namespace?: string } },
): SandboxRef | undefined {
  const owner = object.metadata?.ownerReferences?.find((o) => o.kind === 'Sandbox' && o.controller);
  const namespace = object.metadata?.namespace;
  if (owner?.name === undefined || owner.uid === undefined || namespace === undefined)
    return undefined;
  return { namespace, name: owner.name, uid: owner.uid };
}
