/**
 * The NetworkPolicy of a sandbox pod. Ingress: only the Paddock server pods, only on the
 * forwarded ports (exec and files go through the API server and the kubelet, not the pod
 * network), so none at all without ports. Egress by `network.egress`:
 * - `none` (the default): nothing, not even DNS, as a local sandbox has no network at all;
 * - `allowlist`: DNS, the allowed and always-allowed in-cluster services, and either the
 *   CiliumNetworkPolicy's domains (`cilium-policy.ts`) or the instance's egress proxy
 *   (`egress-proxy.ts`);
 * - `open`: DNS, those services, and the public internet: every address but the metadata
 *   services, loopback, link-local and private ranges (`cidrs.ts`).
 * The sandbox pod of a run (`instance.run`) may also reach DNS and the LLM gateway
 * (`options.gateway`, the server pods' gateway port), whatever its egress: that is how its
 * harness reaches models. Policies only add what they allow, so this one and the Cilium one
 * combine as a union.
 */

import { Egress, type SandboxEnvironment } from '@paddock/core';
import { publicInternetPeers } from './cidrs.ts';
import { usesEgressProxy } from './egress-proxy.ts';
import type { NetworkPolicy, NetworkPolicyEgressRule } from './kube-types.ts';
import { Component, type Instance, instanceMeta, instanceSelector } from './labels.ts';
import type { ObjectOptions, ServiceEndpoint } from './options.ts';
import { dnsRule, podPeer, serviceRules } from './policy-rules.ts';

export function networkPolicyName(instance: Instance): string {
  return instance.name;
}

function egressRules(
  instance: Instance,
  environment: SandboxEnvironment,
  options: ObjectOptions,
  services: readonly ServiceEndpoint[],
): NetworkPolicyEgressRule[] {
  const rules = egressModeRules(instance, environment, options, services);
  if (instance.run === undefined || options.gateway === undefined) return rules;
  const hasDns = (environment.network?.egress ?? Egress.None) !== Egress.None;
  return [...(hasDns ? [] : [dnsRule(options.dns)]), ...rules, ...serviceRules([options.gateway])];
}

function egressModeRules(
  instance: Instance,
  environment: SandboxEnvironment,
  options: ObjectOptions,
  services: readonly ServiceEndpoint[],
): NetworkPolicyEgressRule[] {
  const egress = environment.network?.egress ?? Egress.None;
  const reachable = [...options.alwaysAllowedServices, ...services];
  switch (egress) {
    case Egress.None:
      return [];
    case Egress.Allowlist: {
      const rules = [dnsRule(options.dns), ...serviceRules(reachable)];
      if (usesEgressProxy(environment, options)) {
        rules.push({
          to: [
            {
              podSelector: {
                matchLabels: instanceSelector(instance, options, Component.EgressProxy),
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: options.egressProxy.port }],
        });
      }
      return rules;
    }
    case Egress.Open:
      return [dnsRule(options.dns), ...serviceRules(reachable), { to: publicInternetPeers() }];
  }
}

/**
 * `services` are the template's `allowedServices`, resolved by the controller to the pods
 * behind each Service (see `ServiceEndpoint`); an unresolved one is simply not reachable.
 */
export function sandboxNetworkPolicy(
  instance: Instance,
  environment: SandboxEnvironment,
  options: ObjectOptions,
  services: readonly ServiceEndpoint[] = [],
): NetworkPolicy {
  const ports = environment.ports ?? [];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: instanceMeta(instance, networkPolicyName(instance), Component.Network),
    spec: {
      podSelector: { matchLabels: instanceSelector(instance, options) },
      policyTypes: ['Ingress', 'Egress'],
      ingress:
        ports.length === 0
          ? []
          : [
              {
                from: [podPeer(options.controlPlane)],
                ports: ports.map((p) => ({ protocol: 'TCP', port: p.port })),
              },
            ],
      egress: egressRules(instance, environment, options, services),
    },
  };
}

/** `namespace/name` (or `name`, in `namespace`) of an `allowedServices` entry. */
export function parseServiceRef(
  ref: string,
  namespace: string,
): { namespace: string; name: string } {
  const slash = ref.indexOf('/');
  return slash === -1
    ? { namespace, name: ref }
    : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}
