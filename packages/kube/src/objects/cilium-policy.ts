/**
 * `allowlist` egress on a cluster with Cilium: a CiliumNetworkPolicy that allows the template's
 * domains by name (`toFQDNs`), learnt from the DNS answers Cilium's DNS proxy sees, and denies
 * the metadata address and private ranges even when an allowed name resolves into them (a deny
 * wins over every allow). Cilium's CIDR rules never match pods or nodes of the cluster, so the
 * deny leaves DNS and allowed in-cluster services, which the NetworkPolicy allows, alone.
 *
 * Patterns: `example.com` → `matchName`; `*.example.com` (every subdomain, as locally) →
 * `matchPattern: '**.example.com'` (multi-level subdomains; a Cilium older than 1.18 reads it as
 * one level, which is narrower, never wider).
 */

import { Egress, type SandboxEnvironment } from '@paddock/core';
import { DENIED_IPV4, DENIED_IPV6 } from './cidrs.ts';
import type { LabelSelector, ObjectMeta } from './kube-types.ts';
import { Component, type Instance, instanceMeta, instanceSelector } from './labels.ts';
import type { ObjectOptions } from './options.ts';

type FqdnSelector = { matchName: string } | { matchPattern: string };

/** The fields of cilium.io/v2 CiliumNetworkPolicy that Paddock writes. */
export type CiliumNetworkPolicy = {
  apiVersion: 'cilium.io/v2';
  kind: 'CiliumNetworkPolicy';
  metadata: ObjectMeta;
  spec: {
    endpointSelector: LabelSelector;
    egress: Array<{
      toEndpoints?: LabelSelector[];
      toFQDNs?: FqdnSelector[];
      toPorts?: Array<{
        ports: Array<{ port: string; protocol: 'TCP' | 'UDP' | 'ANY' }>;
        rules?: { dns: Array<{ matchPattern: string }> };
      }>;
    }>;
    egressDeny: Array<{ toCIDR: string[] }>;
  };
};

export function fqdnSelector(pattern: string): FqdnSelector {
  return pattern.startsWith('*.')
    ? { matchPattern: `**.${pattern.slice(2)}` }
    : { matchName: pattern };
}

/** The Cilium policy of an `allowlist` instance when Cilium is installed; undefined otherwise. */
export function sandboxCiliumPolicy(
  instance: Instance,
  environment: SandboxEnvironment,
  options: ObjectOptions,
): CiliumNetworkPolicy | undefined {
  if (!options.hasCilium || environment.network?.egress !== Egress.Allowlist) return undefined;
  const domains = environment.network.allowedDomains ?? [];
  const dnsPods = Object.fromEntries(
    Object.entries(options.dns.podLabels).map(([key, value]) => [`k8s:${key}`, value]),
  );
  const egress: CiliumNetworkPolicy['spec']['egress'] = [
    {
      // DNS through Cilium's proxy, which is how toFQDNs learns the addresses of names.
      toEndpoints: [
        { matchLabels: { 'k8s:io.kubernetes.pod.namespace': options.dns.namespace, ...dnsPods } },
      ],
      toPorts: [
        { ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } },
      ],
    },
  ];
  if (domains.length > 0) egress.push({ toFQDNs: domains.map(fqdnSelector) });
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: instanceMeta(instance, instance.name, Component.Network),
    spec: {
      endpointSelector: { matchLabels: instanceSelector(instance, options) },
      egress,
      egressDeny: [{ toCIDR: [...DENIED_IPV4, ...DENIED_IPV6] }],
    },
  };
}
