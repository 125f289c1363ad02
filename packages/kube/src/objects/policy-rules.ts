/** NetworkPolicy rules shared by the sandbox's and the egress proxy's policies. */
import type { NetworkPolicyEgressRule, NetworkPolicyPeer } from './kube-types.ts';
import type { PodPeer, ServiceEndpoint } from './options.ts';

/** The pods of `peer`: its namespace (by the label Kubernetes sets on every namespace) and labels. */
export function podPeer(peer: PodPeer): NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace } },
    podSelector: { matchLabels: { ...peer.podLabels } },
  };
}

/** DNS (UDP and TCP 53) to the cluster's DNS pods only. */
export function dnsRule(dns: PodPeer): NetworkPolicyEgressRule {
  return {
    to: [podPeer(dns)],
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  };
}

/** One rule per in-cluster service: its pods, on their ports only. */
export function serviceRules(services: readonly ServiceEndpoint[]): NetworkPolicyEgressRule[] {
  return services.map((service) => ({
    to: [podPeer(service)],
    ports: service.ports.map((p) => ({ protocol: p.protocol ?? 'TCP', port: p.port })),
  }));
}
