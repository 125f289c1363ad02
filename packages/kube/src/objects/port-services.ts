/**
 * One ClusterIP Service per forwarded port, named `<sandbox>-<port name>` and selecting the
 * instance's sandbox pod. Only the Paddock server reaches them (the sandbox's NetworkPolicy);
 * users reach them through its authenticated preview proxy.
 */

import type { Port, SandboxEnvironment } from '@paddock/core';
import type { Service } from './kube-types.ts';
import { Component, type Instance, instanceMeta, instanceSelector } from './labels.ts';
import { serviceName } from './names.ts';
import type { ObjectOptions } from './options.ts';

export function portServiceName(sandboxName: string, port: Pick<Port, 'name'>): string {
  return serviceName(sandboxName, port.name);
}

export function portServices(
  instance: Instance,
  sandboxName: string,
  environment: SandboxEnvironment,
  options: ObjectOptions,
): Service[] {
  return (environment.ports ?? []).map((port) => {
    const protocol = port.protocol ?? 'http';
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: instanceMeta(instance, portServiceName(sandboxName, port), Component.Port),
      spec: {
        type: 'ClusterIP',
        selector: instanceSelector(instance, options),
        ports: [
          {
            name: protocol,
            port: port.port,
            targetPort: port.port,
            protocol: 'TCP',
            ...(protocol === 'http' ? { appProtocol: 'http' } : {}),
          },
        ],
      },
    };
  });
}
