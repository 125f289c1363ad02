/**
 * `allowlist` egress on a cluster without Cilium: a per-instance egress proxy pod.
 *
 * Why a pod of its own and not a sidecar: a NetworkPolicy selects pods, and the containers of a
 * pod share one network namespace, so a policy that let a sidecar reach the internet would let
 * the sandbox's own processes reach it too, bypassing the proxy (an iptables owner match would
 * need NET_ADMIN, which the restricted standard forbids). With the proxy in its own pod the
 * sandbox pod's policy allows only DNS, its allowed services and the proxy's port, and the
 * proxy's policy allows only its own sandbox in and the public internet out (never the metadata
 * address or private ranges). Both are enforced by the cluster's network plugin.
 *
 * The proxy image's contract: an HTTP proxy (CONNECT for TLS) on `PADDOCK_EGRESS_PORT`, allowing
 * the comma-separated patterns of `PADDOCK_EGRESS_ALLOWED_DOMAINS` (`example.com`, or
 * `*.example.com` for every subdomain, as the local proxy) and refusing names that resolve into
 * `PADDOCK_EGRESS_DENIED_CIDRS`.
 */

import { Egress, type SandboxEnvironment } from '@paddock/core';
import { DENIED_IPV4, DENIED_IPV6, publicInternetPeers } from './cidrs.ts';
import { containerSecurityContext, hardenedPodSpec } from './hardening.ts';
import type { EnvVar, NetworkPolicy, Pod, Service } from './kube-types.ts';
import { Component, type Instance, instanceMeta, instanceSelector } from './labels.ts';
import { objectName } from './names.ts';
import type { ObjectOptions } from './options.ts';
import { dnsRule } from './policy-rules.ts';
import { serviceAccountName } from './service-account.ts';

/** Whether the instance's `allowlist` egress goes through an egress proxy pod (no Cilium). */
export function usesEgressProxy(environment: SandboxEnvironment, options: ObjectOptions): boolean {
  return environment.network?.egress === Egress.Allowlist && !options.hasCilium;
}

export function egressProxyName(instance: Instance): string {
  return objectName(instance.name, 'egress');
}

/** The proxy variables of the sandbox container; in-cluster names bypass the proxy. */
export function egressProxyEnv(instance: Instance, options: ObjectOptions): EnvVar[] {
  const url = `http://${egressProxyName(instance)}:${options.egressProxy.port}`;
  const noProxy = 'localhost,127.0.0.1,::1,.svc,.cluster.local';
  return ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']
    .map((name) => ({ name, value: url }))
    .concat([
      { name: 'NO_PROXY', value: noProxy },
      { name: 'no_proxy', value: noProxy },
    ]);
}

export function egressProxyPod(
  instance: Instance,
  environment: SandboxEnvironment,
  options: ObjectOptions,
): Pod {
  const { image, port, resources } = options.egressProxy;
  const amounts = { cpu: resources.cpu, memory: resources.memory };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: instanceMeta(instance, egressProxyName(instance), Component.EgressProxy),
    spec: {
      ...hardenedPodSpec(options, serviceAccountName(instance)),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'egress-proxy',
          image,
          imagePullPolicy: 'IfNotPresent',
          env: [
            { name: 'PADDOCK_EGRESS_PORT', value: String(port) },
            {
              name: 'PADDOCK_EGRESS_ALLOWED_DOMAINS',
              value: (environment.network?.allowedDomains ?? []).join(','),
            },
            {
              name: 'PADDOCK_EGRESS_DENIED_CIDRS',
              value: [...DENIED_IPV4, ...DENIED_IPV6].join(','),
            },
          ],
          ports: [{ containerPort: port, protocol: 'TCP', name: 'proxy' }],
          resources: { requests: { ...amounts }, limits: { ...amounts } },
          securityContext: containerSecurityContext(options.sandboxUid),
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
    },
  };
}

/** A stable address for the proxy (its pod's IP changes when it is made again). */
export function egressProxyService(instance: Instance, options: ObjectOptions): Service {
  const { port } = options.egressProxy;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: instanceMeta(instance, egressProxyName(instance), Component.EgressProxy),
    spec: {
      type: 'ClusterIP',
      selector: instanceSelector(instance, options, Component.EgressProxy),
      ports: [{ name: 'proxy', port, targetPort: port, protocol: 'TCP' }],
    },
  };
}

/** In: only its own sandbox pod, on the proxy port. Out: DNS and the public internet. */
export function egressProxyNetworkPolicy(
  instance: Instance,
  options: ObjectOptions,
): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: instanceMeta(instance, egressProxyName(instance), Component.EgressProxy),
    spec: {
      podSelector: { matchLabels: instanceSelector(instance, options, Component.EgressProxy) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: instanceSelector(instance, options) } }],
          ports: [{ protocol: 'TCP', port: options.egressProxy.port }],
        },
      ],
      egress: [dnsRule(options.dns), { to: publicInternetPeers() }],
    },
  };
}
