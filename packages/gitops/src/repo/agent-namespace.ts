// An agent namespace: what `paddock cluster agent create` asks for (quota and network grants) and
// the manifests written for it: Namespace, ResourceQuota (requests, limits, pods), a default-deny
// NetworkPolicy plus one allowing what is granted, and the agents' ServiceAccount.
import { compareQuantity, parseQuantity, QuantityString } from '@paddock/core';
import { z } from 'zod';
import { NAME_MAX_LENGTH, NAME_PATTERN } from './layout.ts';

const Name = z.string().max(NAME_MAX_LENGTH).regex(NAME_PATTERN, 'must be a DNS-1123 label');

/** Namespaces an agent namespace may never take: they belong to the cluster and its platform. */
export const RESERVED_NAMESPACES: readonly string[] = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'argocd',
  'paddock-system',
];

const Cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/, 'must be a CIDR');

/** The quota and network grants of an agent namespace, as given (defaults filled in by parsing). */
export const AgentSpec = z
  .object({
    name: Name.refine((name) => !RESERVED_NAMESPACES.includes(name), 'is a reserved namespace'),
    /** Limits of the whole namespace; requests default to the same. */
    cpu: QuantityString.default('4'),
    memory: QuantityString.default('8Gi'),
    requestsCpu: QuantityString.optional(),
    requestsMemory: QuantityString.optional(),
    pods: z.number().int().min(1).max(10_000).default(20),
    egress: z
      .object({
        /** DNS to the cluster's resolver (kube-system); without it nothing resolves. */
        dns: z.boolean().default(true),
        /** Namespaces the agents may reach (the catalog's LLM gateway, observability…). */
        namespaces: z.array(Name).default([]),
        /** Addresses outside the cluster the agents may reach. */
        cidrs: z.array(Cidr).default([]),
        /** The public internet: 0.0.0.0/0 and ::/0 except private and link-local ranges. */
        internet: z.boolean().default(false),
      })
      .strict()
      .default({ dns: true, namespaces: [], cidrs: [], internet: false }),
    /** Namespaces whose pods may connect into this one. */
    ingressFromNamespaces: z.array(Name).default([]),
  })
  .strict()
  .superRefine((spec, ctx) => {
    for (const [request, limit, field] of [
      [spec.requestsCpu, spec.cpu, 'requestsCpu'],
      [spec.requestsMemory, spec.memory, 'requestsMemory'],
    ] as const) {
      if (
        request !== undefined &&
        compareQuantity(parseQuantity(request), parseQuantity(limit)) > 0
      ) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `must not exceed the limit ${limit}`,
        });
      }
    }
  });
export type AgentSpec = z.infer<typeof AgentSpec>;
export type AgentSpecInput = z.input<typeof AgentSpec>;

export type KubeManifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
};

export const AGENT_SERVICE_ACCOUNT = 'agent';
const LABELS = { 'app.kubernetes.io/managed-by': 'paddock', 'paddock.dev/agent-namespace': 'true' };
const PRIVATE_RANGES_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'];
const PRIVATE_RANGES_V6 = ['fc00::/7', 'fe80::/10'];

const namespaceSelector = (name: string) => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
});

/** The files of an agent namespace's folder, `agents/<name>/`. */
export type AgentManifestFile =
  | 'namespace.yaml'
  | 'resourcequota.yaml'
  | 'networkpolicy-default-deny.yaml'
  | 'networkpolicy-granted.yaml'
  | 'serviceaccount.yaml';

/** The manifests of an agent namespace, keyed by their file name in `agents/<name>/`. */
export function agentManifests(spec: AgentSpec): Record<AgentManifestFile, KubeManifest> {
  const namespace = spec.name;
  const meta = (name: string) => ({ name, namespace, labels: LABELS });
  const egress: Array<Record<string, unknown>> = [];
  if (spec.egress.dns) {
    egress.push({
      to: [
        {
          ...namespaceSelector('kube-system'),
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    });
  }
  // Agents in the namespace reach each other.
  egress.push({ to: [{ podSelector: {} }] });
  for (const target of spec.egress.namespaces) egress.push({ to: [namespaceSelector(target)] });
  if (spec.egress.cidrs.length > 0)
    egress.push({ to: spec.egress.cidrs.map((cidr) => ({ ipBlock: { cidr } })) });
  if (spec.egress.internet) {
    egress.push({
      to: [
        { ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_RANGES_V4 } },
        { ipBlock: { cidr: '::/0', except: PRIVATE_RANGES_V6 } },
      ],
    });
  }
  const ingress: Array<Record<string, unknown>> = [
    { from: [{ podSelector: {} }] },
    ...spec.ingressFromNamespaces.map((source) => ({ from: [namespaceSelector(source)] })),
  ];
  return {
    'namespace.yaml': {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: LABELS },
    },
    'resourcequota.yaml': {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta('agent-quota'),
      spec: {
        hard: {
          'requests.cpu': spec.requestsCpu ?? spec.cpu,
          'requests.memory': spec.requestsMemory ?? spec.memory,
          'limits.cpu': spec.cpu,
          'limits.memory': spec.memory,
          pods: String(spec.pods),
        },
      },
    },
    'networkpolicy-default-deny.yaml': {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    'networkpolicy-granted.yaml': {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('granted'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress, egress },
    },
    'serviceaccount.yaml': {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(AGENT_SERVICE_ACCOUNT),
      automountServiceAccountToken: false,
    },
  };
}
