/**
 * The ServiceAccount of a sandbox instance: an identity with no permissions. Paddock binds no
 * Role to it and its token is never mounted (`automountServiceAccountToken: false` here and on
 * the pod), so a sandbox cannot call the Kubernetes API as anything but anonymous.
 */
import type { ServiceAccount } from './kube-types.ts';
import { Component, type Instance, instanceMeta } from './labels.ts';

export function serviceAccountName(instance: Instance): string {
  return instance.name;
}

export function sandboxServiceAccount(instance: Instance): ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: instanceMeta(instance, serviceAccountName(instance), Component.Identity),
    automountServiceAccountToken: false,
  };
}
