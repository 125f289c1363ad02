/**
 * The objects of one sandbox in the order provision applies them: each object is applied only
 * after the objects it needs (the pod's identity, files, Secrets, claim and policies before the
 * pod; the proxy before the pod that uses it; the Services last), so no pod ever starts without
 * its network policy.
 */
import type { SandboxEnvironment } from '@paddock/core';
import type { ConfigMap, Pod, Service } from '../objects/kube-types.ts';
import type { ObjectOptions } from '../objects/options.ts';
import { portServices } from '../objects/port-services.ts';
import type { InstanceObjects } from '../objects/sandbox-objects.ts';
import type { AddressedObject } from './api-paths.ts';
import { type InputsLayout, type Secret, withInputs } from './runtime-inputs.ts';

/** What provision applies, besides the builders' objects. */
export type PlanInputs = {
  state: ConfigMap;
  secrets: readonly Secret[];
  layout: InputsLayout;
  /** The Sandbox's name: port Services are named after it. */
  sandboxName: string;
};

/** The instance's pods, in start order: the egress proxy (if any), then the sandbox pod. */
export function instancePods(objects: InstanceObjects, layout: InputsLayout): Pod[] {
  const proxy = objects.egressProxy?.pod;
  return [...(proxy === undefined ? [] : [proxy]), withInputs(objects.pod, layout)];
}

/** Every object of the sandbox, in the order to apply them. */
export function provisionPlan(
  objects: InstanceObjects,
  environment: SandboxEnvironment,
  options: ObjectOptions,
  inputs: PlanInputs,
): AddressedObject[] {
  const services: Service[] = portServices(
    objects.instance,
    inputs.sandboxName,
    environment,
    options,
  );
  const proxy = objects.egressProxy;
  const [sandboxPod, ...rest] = instancePods(objects, inputs.layout).reverse();
  return [
    objects.serviceAccount,
    inputs.state,
    ...(objects.filesConfigMap === undefined ? [] : [objects.filesConfigMap]),
    ...inputs.secrets,
    objects.workspaceClaim,
    objects.networkPolicy,
    ...(objects.ciliumPolicy === undefined ? [] : [objects.ciliumPolicy]),
    ...(proxy === undefined ? [] : [proxy.networkPolicy, proxy.service]),
    ...rest,
    ...(sandboxPod === undefined ? [] : [sandboxPod]),
    ...services,
  ] as AddressedObject[];
}
