/**
 * The PersistentVolumeClaim behind a sandbox's /workspace. It belongs to the instance, not to
 * the pod, so it outlives stop and start (the pod is deleted and made again) and goes only with
 * its Sandbox, through the owner reference.
 */

import type { SandboxEnvironment } from '@paddock/core';
import type { PersistentVolumeClaim } from './kube-types.ts';
import { Component, type Instance, instanceMeta } from './labels.ts';
import { objectName } from './names.ts';
import type { ObjectOptions } from './options.ts';
import { workspaceSize } from './resources.ts';

export function workspaceClaimName(instance: Instance): string {
  return objectName(instance.name, 'workspace');
}

export function workspaceClaim(
  instance: Instance,
  environment: SandboxEnvironment,
  options: ObjectOptions,
): PersistentVolumeClaim {
  const size = workspaceSize(environment, options);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: instanceMeta(instance, workspaceClaimName(instance), Component.Workspace),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: size } },
      ...(options.workspaceStorageClass === undefined
        ? {}
        : { storageClassName: options.workspaceStorageClass }),
    },
  };
}
