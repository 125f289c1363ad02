// An agent namespace: what `paddock cluster agent create` asks for (quota and network grants) and
// the manifests written for it: Namespace, ResourceQuota (requests, limits, pods), a LimitRange
// (per-container defaults, so pods that name no resources are admitted under the quota), a
// default-deny NetworkPolicy plus one allowing what is granted, the agents' ServiceAccount, and
// on a cluster running Cilium a CiliumNetworkPolicy (DNS through Cilium's proxy, domain grants).
import { compareQuantity, parseQuantity, type Quantity, QuantityString } from '@paddock/core';
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

/** A domain (`api.openai.com`) or every subdomain of one (`*.anthropic.com`). */
const Fqdn = z
  .string()
  .max(253)
  .regex(
    /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/,
    'must be a lowercase domain name, optionally starting with *.',
  );

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
        /**
         * Domains the agents may reach on TCP 443 (`api.openai.com`, `*.anthropic.com`): only
         * Cilium can enforce these (Kubernetes NetworkPolicies name no domains), so they need
         * `cilium: true` and `dns: true`.
         */
        fqdns: z.array(Fqdn).default([]),
      })
      .strict()
      .default({ dns: true, namespaces: [], cidrs: [], internet: false, fqdns: [] }),
    /** Namespaces whose pods may connect into this one. */
    ingressFromNamespaces: z.array(Name).default([]),
    /**
     * The cluster runs Cilium (a `paddock cluster create` cluster does): write a
     * CiliumNetworkPolicy too, which sends DNS through Cilium's proxy and grants `egress.fqdns`.
     */
    cilium: z.boolean().default(false),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.egress.fqdns.length > 0 && !spec.cilium) {
      ctx.addIssue({
        code: 'custom',
        path: ['egress', 'fqdns'],
        message: 'domain grants need Cilium (cilium: true): NetworkPolicies cannot name domains',
      });
    }
    if (spec.egress.fqdns.length > 0 && !spec.egress.dns) {
      ctx.addIssue({
        code: 'custom',
        path: ['egress', 'fqdns'],
        message: 'domain grants need egress.dns: Cilium learns their addresses from DNS answers',
      });
    }
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
  | 'limitrange.yaml'
  | 'networkpolicy-default-deny.yaml'
  | 'networkpolicy-granted.yaml'
  | 'serviceaccount.yaml'
  | 'ciliumnetworkpolicy.yaml';

/** The manifests of an agent namespace; the CiliumNetworkPolicy only with `cilium: true`. */
export type AgentManifests = Record<
  Exclude<AgentManifestFile, 'ciliumnetworkpolicy.yaml'>,
  KubeManifest
> & { 'ciliumnetworkpolicy.yaml'?: KubeManifest };

/** `quantity × 10^scale / parts`, rounded down: a quota's share in whole units of 10^-scale. */
function share(quantity: Quantity, scale: number, parts: number): bigint {
  const exponent = quantity.exponent + scale;
  const scaled =
    exponent >= 0
      ? quantity.mantissa * 10n ** BigInt(exponent)
      : quantity.mantissa / 10n ** BigInt(-exponent);
  return scaled / BigInt(parts);
}

const MEBIBYTE = 1024n * 1024n;
const max1 = (value: bigint) => (value < 1n ? 1n : value);

/**
 * A container's share of the namespace when each of its `pods` pods runs one container: CPU in
 * millicores and memory in MiB, rounded down, at least 1m and 1Mi.
 */
function containerShare(cpu: string, memory: string, pods: number) {
  return {
    cpu: `${max1(share(parseQuantity(cpu), 3, pods))}m`,
    memory: `${max1(share(parseQuantity(memory), 0, pods) / MEBIBYTE)}Mi`,
  };
}

/**
 * The LimitRange of an agent namespace: a container that names no resources gets requests and
 * limits of its share of the quota (quota ÷ pods), so the ResourceQuota, which refuses pods
 * without requests and limits, admits it; no container may ask for more than the whole quota.
 */
export function agentLimitRange(spec: AgentSpec): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'agent-defaults', namespace: spec.name, labels: LABELS },
    spec: {
      limits: [
        {
          type: 'Container',
          default: containerShare(spec.cpu, spec.memory, spec.pods),
          defaultRequest: containerShare(
            spec.requestsCpu ?? spec.cpu,
            spec.requestsMemory ?? spec.memory,
            spec.pods,
          ),
          max: { cpu: spec.cpu, memory: spec.memory },
        },
      ],
    },
  };
}

/**
 * The CiliumNetworkPolicy of an agent namespace (cilium.io/v2): DNS to kube-dns through Cilium's
 * DNS proxy (so Cilium learns the addresses of the domains asked for, and Hubble shows the
 * queries), and egress to `egress.fqdns` on TCP 443. Cilium allows the union of its policies and
 * the NetworkPolicies, so everything else stays as those grant it.
 */
export function agentCiliumPolicy(spec: AgentSpec): KubeManifest {
  const egress: Array<Record<string, unknown>> = [];
  if (spec.egress.dns) {
    egress.push({
      toEndpoints: [
        {
          matchLabels: {
            'k8s:io.kubernetes.pod.namespace': 'kube-system',
            'k8s:k8s-app': 'kube-dns',
          },
        },
      ],
      toPorts: [
        { ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } },
      ],
    });
  }
  if (spec.egress.fqdns.length > 0) {
    egress.push({
      toFQDNs: spec.egress.fqdns.map((fqdn) =>
        fqdn.includes('*') ? { matchPattern: fqdn } : { matchName: fqdn },
      ),
      toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }],
    });
  }
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { name: 'granted-fqdns', namespace: spec.name, labels: LABELS },
    spec: {
      description: `Paddock agent namespace ${spec.name}: DNS through Cilium's proxy and the domains granted`,
      endpointSelector: {},
      egress,
    },
  };
}

/** The manifests of an agent namespace, keyed by their file name in `agents/<name>/`. */
export function agentManifests(spec: AgentSpec): AgentManifests {
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
    'limitrange.yaml': agentLimitRange(spec),
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
    ...(spec.cilium && { 'ciliumnetworkpolicy.yaml': agentCiliumPolicy(spec) }),
  };
}

/**
 * What an update asks for: `changes` over the current spec, `egress` merged key by key (so
 * `egress.fqdns` alone keeps the namespaces granted). Parse the result with AgentSpec.
 */
export function mergeAgentChanges(
  before: AgentSpec,
  changes: Omit<AgentSpecInput, 'name'>,
): AgentSpecInput {
  const egress = changes.egress;
  return {
    ...before,
    ...changes,
    egress:
      typeof egress === 'object' && egress !== null && !Array.isArray(egress)
        ? { ...before.egress, ...egress }
        : (egress ?? before.egress),
    name: before.name,
  };
}

/**
 * The commit message of an agent namespace's update: the fields that changed with their new
 * values (`agents: update team-a (cpu 8, egress.fqdns [api.openai.com])`).
 */
export function agentUpdateMessage(before: AgentSpec, after: AgentSpec): string {
  const show = (value: unknown) =>
    Array.isArray(value) ? `[${value.join(', ')}]` : String(value ?? 'unset');
  const changed: string[] = [];
  const compare = (a: Record<string, unknown>, b: Record<string, unknown>, prefix: string) => {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (key === 'egress' && prefix === '') continue;
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key]))
        changed.push(`${prefix}${key} ${show(b[key])}`);
    }
  };
  compare(before, after, '');
  compare(before.egress, after.egress, 'egress.');
  return `agents: update ${after.name} (${changed.length > 0 ? changed.join(', ') : 'no change'})`;
}
