/**
 * Fixtures of the builder tests: admitted Sandboxes, templates, Agents (parsed by core's own
 * schemas, as the controller reads them), and validation of every built object against the
 * official schemas (kubernetes-models for Kubernetes, its Cilium models for Cilium). Tests only.
 */
import { CiliumNetworkPolicy } from '@kubernetes-models/cilium/cilium.io/v2';
import {
  Agent,
  type AnyTemplate,
  API_VERSION,
  Sandbox,
  type SandboxEnvironment,
  SandboxTemplate,
} from '@paddock/core';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Pod,
  ResourceQuota,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import type { ObjectMeta } from './kube-types.ts';
import type { InstanceObjects } from './sandbox-objects.ts';

export type KubeObject = { apiVersion: string; kind: string; metadata?: ObjectMeta };

export const NAMESPACE = 'team-a';

export function admittedSandbox(
  environment: SandboxEnvironment,
  name = 'box',
  uid = 'uid-box-1',
): Sandbox {
  return Sandbox.parse({
    apiVersion: API_VERSION,
    kind: 'Sandbox',
    metadata: { name, namespace: NAMESPACE, uid },
    spec: { templateRef: { name: 'base' } },
    status: { phase: 'Creating', resolved: environment },
  });
}

export function template(environment: SandboxEnvironment, name = 'base'): AnyTemplate {
  return SandboxTemplate.parse({
    apiVersion: API_VERSION,
    kind: 'SandboxTemplate',
    metadata: { name, namespace: NAMESPACE, uid: `uid-template-${name}` },
    spec: { ...environment, warmPool: { size: 2 } },
  });
}

export function agent(name: string, quota?: { cpu?: string; memory?: string; pods?: number }) {
  return Agent.parse({
    apiVersion: API_VERSION,
    kind: 'Agent',
    metadata: { name, namespace: NAMESPACE, uid: `uid-agent-${name}` },
    spec: { harness: { kind: 'builtin' }, ...(quota === undefined ? {} : { quota }) },
  });
}

type Validator = (object: never) => { validate(): void };
const VALIDATORS: Record<string, Validator> = {
  Pod: (o) => new Pod(o),
  PersistentVolumeClaim: (o) => new PersistentVolumeClaim(o),
  Service: (o) => new Service(o),
  ServiceAccount: (o) => new ServiceAccount(o),
  ConfigMap: (o) => new ConfigMap(o),
  Namespace: (o) => new Namespace(o),
  ResourceQuota: (o) => new ResourceQuota(o),
  NetworkPolicy: (o) => new NetworkPolicy(o),
  CiliumNetworkPolicy: (o) => new CiliumNetworkPolicy(o),
};

/**
 * Validates an object against the official schema of its kind; throws the schema's errors.
 * The models accept unknown fields, so the builders' types (from the same models) catch those.
 */
export function validateObject(object: KubeObject): void {
  const make = VALIDATORS[object.kind];
  if (make === undefined) throw new Error(`no schema for kind ${object.kind}`);
  const model = make(structuredClone(object) as never);
  model.validate();
  const { apiVersion } = model as unknown as { apiVersion: string };
  if (apiVersion !== object.apiVersion) {
    throw new Error(`${object.kind}: apiVersion ${object.apiVersion}, the schema's ${apiVersion}`);
  }
}

/** Every object of an instance, flattened. */
export function allObjects(
  objects: InstanceObjects & { services?: readonly KubeObject[] },
): KubeObject[] {
  const list: KubeObject[] = [
    objects.pod,
    objects.workspaceClaim,
    objects.serviceAccount,
    objects.networkPolicy,
  ];
  if (objects.ciliumPolicy) list.push(objects.ciliumPolicy);
  if (objects.filesConfigMap) list.push(objects.filesConfigMap);
  if (objects.egressProxy) {
    list.push(
      objects.egressProxy.pod,
      objects.egressProxy.service,
      objects.egressProxy.networkPolicy,
    );
  }
  for (const service of objects.services ?? []) list.push(service);
  return list;
}
