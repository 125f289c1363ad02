/**
 * Network policies for Paddock itself, and the optional Ingress: the controller may reach the
 * API server and nothing else (and be scraped on its metrics port); the server accepts traffic
 * on its API and preview ports, and on its gateway port only from the sandbox pods of runs
 * (Paddock's sandbox pods labelled `RUN_LABEL`, in the namespaces
 * `networkPolicy.sandboxNamespaceLabels` selects).
 * The sandboxes' own policies are the pod runtime's (objects/network-policy.ts): a run's allows
 * egress to this port.
 */
import { COMPONENT, Component, MANAGED_BY, RUN_LABEL } from '../objects/labels.ts';
import {
  InstallComponent,
  type KubeObject,
  meta,
  resourceName,
  selectorLabels,
} from './install-meta.ts';
import type { InstallValues } from './values.ts';

export function networkPolicies(values: InstallValues) {
  const controller: KubeObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(values, 'controller', InstallComponent.Controller),
    spec: {
      podSelector: { matchLabels: selectorLabels(values, InstallComponent.Controller) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ ports: [{ protocol: 'TCP', port: values.controller.metricsPort }] }],
      egress: [
        {
          to: values.networkPolicy.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
          ports: values.networkPolicy.apiServerPorts.map((port) => ({ protocol: 'TCP', port })),
        },
      ],
    },
  };
  const server: KubeObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(values, 'server', InstallComponent.Server),
    spec: {
      podSelector: { matchLabels: selectorLabels(values, InstallComponent.Server) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          ports: [
            { protocol: 'TCP', port: values.server.port },
            { protocol: 'TCP', port: values.server.previewPort },
          ],
        },
      ],
    },
  };
  const gateway: KubeObject = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(values, 'gateway', InstallComponent.Server),
    spec: {
      podSelector: { matchLabels: selectorLabels(values, InstallComponent.Server) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: values.networkPolicy.sandboxNamespaceLabels },
              podSelector: {
                matchLabels: { [MANAGED_BY]: 'paddock', [COMPONENT]: Component.Sandbox },
                matchExpressions: [{ key: RUN_LABEL, operator: 'Exists' }],
              },
            },
          ],
          ports: [{ protocol: 'TCP', port: values.server.gatewayPort }],
        },
      ],
    },
  };
  return { controller, server, gateway };
}

export function ingress(values: InstallValues): KubeObject {
  const i = values.ingress;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { ...meta(values, 'server', InstallComponent.Server), annotations: i.annotations },
    spec: {
      ingressClassName: i.className,
      tls: [{ hosts: [i.host], secretName: i.tlsSecret }],
      rules: [
        {
          host: i.host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: {
                  service: { name: resourceName(values, 'server'), port: { name: 'http' } },
                },
              },
            ],
          },
        },
      ],
    },
  };
}
