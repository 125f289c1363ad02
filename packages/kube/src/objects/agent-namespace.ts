/**
 * The namespace of an Agent, `agent-<name>`, where its runs' sandboxes live: Pod Security
 * "restricted" enforced by admission, a ResourceQuota, a default-deny NetworkPolicy (each
 * sandbox's own policy then allows what its template does) and a ServiceAccount without a token.
 * A Namespace is cluster-scoped and cannot name a namespaced Agent as its owner, so it is tied
 * to its Agent by labels; the controller deletes it (and with it everything inside) when the
 * Agent goes, under the Agent's finalizer.
 */

import { type Agent, canonicalQuantity, ErrorCode, PaddockError } from '@paddock/core';
import type { Namespace, NetworkPolicy, ResourceQuota, ServiceAccount } from './kube-types.ts';
import { baseLabels, COMPONENT, Component, labelKeys } from './labels.ts';
import { dnsLabel, labelValue } from './names.ts';
import type { ObjectOptions } from './options.ts';

export const AGENT_SERVICE_ACCOUNT = 'paddock-agent';

export type AgentNamespaceObjects = {
  namespace: Namespace;
  resourceQuota: ResourceQuota;
  networkPolicy: NetworkPolicy;
  serviceAccount: ServiceAccount;
};

export function agentNamespaceName(agentName: string): string {
  return dnsLabel(`agent-${agentName}`);
}

/** The Namespace, ResourceQuota, NetworkPolicy and ServiceAccount of an Agent. */
export function agentNamespaceObjects(agent: Agent, options: ObjectOptions): AgentNamespaceObjects {
  const { name, namespace: home } = agent.metadata;
  if (name === undefined || home === undefined) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      'Agent: metadata.name and namespace are required',
      {
        issues: [{ path: 'metadata', message: 'name and namespace are required' }],
      },
    );
  }
  const keys = labelKeys(options);
  const namespace = agentNamespaceName(name);
  const labels = {
    ...baseLabels(),
    [COMPONENT]: Component.AgentNamespace,
    [keys.agent]: labelValue(name),
    [keys.agentNamespace]: home,
  };
  const meta = (objectName: string) => ({ name: objectName, namespace, labels: { ...labels } });
  const quota = agent.spec.quota;
  const fallback = options.defaultAgentQuota;
  const cpu = canonicalQuantity(quota?.cpu ?? fallback.cpu);
  const memory = canonicalQuantity(quota?.memory ?? fallback.memory);
  const pods = quota?.pods ?? fallback.pods;
  return {
    namespace: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    },
    resourceQuota: {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta('agent-quota'),
      spec: {
        hard: {
          'requests.cpu': cpu,
          'limits.cpu': cpu,
          'requests.memory': memory,
          'limits.memory': memory,
          pods: String(pods),
        },
      },
    },
    networkPolicy: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    serviceAccount: {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(AGENT_SERVICE_ACCOUNT),
      automountServiceAccountToken: false,
    },
  };
}
