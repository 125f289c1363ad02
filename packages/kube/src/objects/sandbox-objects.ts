/**
 * Every object of a sandbox instance, built together: what the controller applies for a
 * Sandbox (and, without Services, for a warm-pool slot). Each carries the instance's labels and
 * a controller owner reference, so deleting the owner deletes them all.
 */

import type { Sandbox, SandboxEnvironment } from '@paddock/core';
import { type CiliumNetworkPolicy, sandboxCiliumPolicy } from './cilium-policy.ts';
import {
  egressProxyNetworkPolicy,
  egressProxyPod,
  egressProxyService,
  usesEgressProxy,
} from './egress-proxy.ts';
import type {
  ConfigMap,
  NetworkPolicy,
  PersistentVolumeClaim,
  Pod,
  Service,
  ServiceAccount,
} from './kube-types.ts';
import { type Instance, resolvedEnvironment, sandboxInstance } from './labels.ts';
import { sandboxNetworkPolicy } from './network-policy.ts';
import type { ObjectOptions, ServiceEndpoint } from './options.ts';
import { portServices } from './port-services.ts';
import { sandboxPod } from './sandbox-pod.ts';
import { sandboxServiceAccount } from './service-account.ts';
import { filesConfigMap } from './template-files.ts';
import { workspaceClaim } from './workspace-claim.ts';

/** The egress proxy's objects, present for `allowlist` egress without Cilium. */
export type EgressProxyObjects = {
  pod: Pod;
  service: Service;
  networkPolicy: NetworkPolicy;
};

export type InstanceObjects = {
  instance: Instance;
  pod: Pod;
  workspaceClaim: PersistentVolumeClaim;
  serviceAccount: ServiceAccount;
  networkPolicy: NetworkPolicy;
  ciliumPolicy?: CiliumNetworkPolicy;
  filesConfigMap?: ConfigMap;
  egressProxy?: EgressProxyObjects;
};

export type SandboxObjects = InstanceObjects & { services: Service[] };

/** The objects of an instance for a resolved environment (no port Services). */
export function instanceObjects(
  instance: Instance,
  environment: SandboxEnvironment,
  options: ObjectOptions,
  services: readonly ServiceEndpoint[] = [],
): InstanceObjects {
  const objects: InstanceObjects = {
    instance,
    pod: sandboxPod(instance, environment, options),
    workspaceClaim: workspaceClaim(instance, environment, options),
    serviceAccount: sandboxServiceAccount(instance),
    networkPolicy: sandboxNetworkPolicy(instance, environment, options, services),
  };
  const cilium = sandboxCiliumPolicy(instance, environment, options);
  if (cilium !== undefined) objects.ciliumPolicy = cilium;
  const files = filesConfigMap(instance, environment.files);
  if (files !== undefined) objects.filesConfigMap = files;
  if (usesEgressProxy(environment, options)) {
    objects.egressProxy = {
      pod: egressProxyPod(instance, environment, options),
      service: egressProxyService(instance, options),
      networkPolicy: egressProxyNetworkPolicy(instance, options),
    };
  }
  return objects;
}

/**
 * The objects of an admitted Sandbox (`status.resolved` set; `validation_failed` otherwise).
 * `instanceName` names the warm-pool instance it claimed, if it did; `services` are its
 * resolved `allowedServices`.
 */
export function sandboxObjects(
  sandbox: Sandbox,
  options: ObjectOptions,
  context: { instanceName?: string; services?: readonly ServiceEndpoint[] } = {},
): SandboxObjects {
  const environment = resolvedEnvironment(sandbox);
  const instance = sandboxInstance(sandbox, options, context.instanceName);
  return {
    ...instanceObjects(instance, environment, options, context.services),
    services: portServices(instance, instance.owner.name, environment, options),
  };
}
