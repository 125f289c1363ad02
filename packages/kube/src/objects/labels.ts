/**
 * The labels every Paddock object carries, the owner references that tie them to their Sandbox,
 * and the "instance": the set of objects built for one sandbox pod (its workspace claim,
 * service account, policies, egress proxy). An instance is named after its Sandbox, or after its
 * warm-pool slot until a Sandbox claims it; policies select pods by instance, so a claim only
 * relabels and re-owns, never re-selects.
 */
import {
  type AnyTemplate,
  API_VERSION,
  ErrorCode,
  PaddockError,
  RUN_LABEL,
  type Sandbox,
  type SandboxEnvironment,
  TemplateKind,
  type TemplateRef,
} from '@paddock/core';
import { canonicalJson, dnsLabel, labelValue, shortHash } from './names.ts';
import type { ObjectOptions } from './options.ts';

/** What an object is to its sandbox: `app.kubernetes.io/component`. */
export const Component = {
  Sandbox: 'sandbox',
  Workspace: 'workspace',
  Files: 'files',
  Identity: 'identity',
  Network: 'network',
  EgressProxy: 'egress-proxy',
  Port: 'port',
  AgentNamespace: 'agent-namespace',
} as const;
export type Component = (typeof Component)[keyof typeof Component];

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const COMPONENT = 'app.kubernetes.io/component';
export const PART_OF = 'app.kubernetes.io/part-of';
/**
 * The label the run controller sets on the Sandbox it makes for a Run (the Run's name), from
 * core. Copied onto that Sandbox's pod, and only onto it, so policies can select the pods of
 * runs: the LLM gateway admits no other.
 */
export { RUN_LABEL };

/** Paddock's own label keys under the configured prefix. */
export function labelKeys(options: Pick<ObjectOptions, 'labelPrefix'>) {
  const p = options.labelPrefix;
  return {
    /** The instance (pod set) an object belongs to; never changes. */
    instance: `${p}instance`,
    /** The Sandbox that owns the object; absent on an unclaimed warm-pool instance. */
    sandbox: `${p}sandbox`,
    /** The template the instance was built from (`templateLabel`). */
    template: `${p}template`,
    /** On unclaimed warm-pool objects only: the pool's template; removed by the claim. */
    warmPool: `${p}warm-pool`,
    /** Hash of the resolved environment; a Sandbox claims only a warm instance with its own. */
    envHash: `${p}env-hash`,
    /** The Agent of an agent namespace. */
    agent: `${p}agent`,
    agentNamespace: `${p}agent-namespace`,
    /** Annotation: the pids limit the template asked for (Kubernetes has no per-pod field). */
    pidsLimit: `${p}pids-limit`,
  } as const;
}
export type LabelKeys = ReturnType<typeof labelKeys>;

/** A controller owner reference: deleting the owner deletes the object (foreground waits). */
export type ControllerReference = {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: true;
  blockOwnerDeletion: true;
};

/** One sandbox pod's object set: where it lives, who owns it, the labels all its objects share. */
export type Instance = {
  name: string;
  namespace: string;
  owner: ControllerReference;
  labels: Readonly<Record<string, string>>;
  /** The Run whose Sandbox this is (its `RUN_LABEL`): only its sandbox pod carries the label. */
  run?: string;
};

/** The label value naming a template: `<name>` or, for a cluster template, `cluster.<name>`. */
export function templateLabel(ref: TemplateRef): string {
  return labelValue(
    ref.kind === TemplateKind.ClusterSandboxTemplate ? `cluster.${ref.name}` : ref.name,
  );
}

/** A stable hash of a resolved environment (key order ignored), as a label value. */
export function environmentHash(environment: SandboxEnvironment): string {
  return shortHash(canonicalJson(environment), 20);
}

function required(value: string | undefined, field: string, what: string): string {
  if (value === undefined || value === '') {
    throw new PaddockError(ErrorCode.ValidationFailed, `${what}: ${field} is required`, {
      issues: [{ path: field, message: 'is required' }],
    });
  }
  return value;
}

/** The controller owner reference of an object that a Sandbox owns: deleting it deletes them. */
export function sandboxOwnerReference(sandbox: Sandbox): ControllerReference {
  return {
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    name: required(sandbox.metadata.name, 'metadata.name', 'Sandbox'),
    uid: required(sandbox.metadata.uid, 'metadata.uid', 'Sandbox'),
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The controller owner reference of an unclaimed warm-pool object: its template. */
export function templateOwnerReference(template: AnyTemplate): ControllerReference {
  return {
    apiVersion: API_VERSION,
    kind: template.kind,
    name: required(template.metadata.name, 'metadata.name', template.kind),
    uid: required(template.metadata.uid, 'metadata.uid', template.kind),
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The labels every Paddock object carries. */
export function baseLabels(): Record<string, string> {
  return { [MANAGED_BY]: 'paddock', [PART_OF]: 'paddock' };
}

/** The resolved environment of a Sandbox; `validation_failed` when it was not admitted yet. */
export function resolvedEnvironment(sandbox: Sandbox): SandboxEnvironment {
  const resolved = sandbox.status?.resolved;
  if (resolved === undefined) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `Sandbox ${sandbox.metadata.name ?? ''}: status.resolved is required (admit it first)`,
      { issues: [{ path: 'status.resolved', message: 'is required' }] },
    );
  }
  return resolved;
}

/**
 * The instance of a Sandbox. `instanceName` is the name of the warm-pool instance it claimed,
 * when it did; otherwise the instance is named after the Sandbox.
 */
export function sandboxInstance(
  sandbox: Sandbox,
  options: ObjectOptions,
  instanceName?: string,
): Instance {
  const keys = labelKeys(options);
  const owner = sandboxOwnerReference(sandbox);
  const name = instanceName ?? dnsLabel(owner.name);
  const run = sandbox.metadata.labels?.[RUN_LABEL];
  return {
    ...(run === undefined || run === '' ? {} : { run }),
    name,
    namespace: required(sandbox.metadata.namespace, 'metadata.namespace', 'Sandbox'),
    owner,
    labels: {
      ...baseLabels(),
      [keys.instance]: name,
      [keys.sandbox]: owner.name,
      [keys.template]: templateLabel(sandbox.spec.templateRef),
      [keys.envHash]: environmentHash(resolvedEnvironment(sandbox)),
    },
  };
}

/** Metadata of an instance's object: its name, the instance labels plus its component. */
export function instanceMeta(instance: Instance, name: string, component: Component) {
  return {
    name,
    namespace: instance.namespace,
    labels: { ...instance.labels, [COMPONENT]: component },
    ownerReferences: [{ ...instance.owner }],
  };
}

/** The pod selector of the instance's sandbox pod (or of its egress proxy). */
export function instanceSelector(
  instance: Instance,
  options: ObjectOptions,
  component: Component = Component.Sandbox,
): Record<string, string> {
  return { [labelKeys(options).instance]: instance.name, [COMPONENT]: component };
}
