/**
 * The exact commands a k3d cluster is created, upgraded, started, stopped and deleted with: one
 * place that says which k3d flags, Helm charts, versions and compiled-in values Paddock
 * bootstraps. Pure: argv arrays and values out, no I/O.
 */
import { deepMerge, InfraComponent, infraDefaults, type YamlMap } from '../repo/index.ts';
import type { HostPorts } from './host-ports.ts';
import type { Tool } from './tool-runner.ts';

/** The versions a new cluster gets; `upgrade` moves a cluster to these. */
export const BOOTSTRAP_VERSIONS = {
  /** The k3s image k3d runs (Kubernetes 1.34). */
  k3s: 'rancher/k3s:v1.34.2-k3s1',
  /** Chart `cilium` of https://helm.cilium.io/. */
  cilium: '1.19.5',
  /** Chart `argo-cd` of https://argoproj.github.io/argo-helm (Argo CD v3). */
  argocd: '9.5.4',
} as const;

export const CILIUM_REPO = 'https://helm.cilium.io/';
export const ARGOCD_REPO = 'https://argoproj.github.io/argo-helm';
export const ARGOCD_NAMESPACE = 'argocd';
export const CILIUM_NAMESPACE = 'kube-system';

export type Command = { tool: Tool; args: string[]; timeoutMs?: number };

/** k3d names its first server container `k3d-<cluster>-server-0`. */
export function serverNode(cluster: string): string {
  return `k3d-${cluster}-server-0`;
}

/**
 * `k3d cluster create`: one server, no agents; k3s without flannel, kube-proxy, its network policy
 * controller, traefik and servicelb (Cilium replaces the first three); the API and the load
 * balancer's 80/443 published on 127.0.0.1 at the chosen ports; the GitOps repository mounted
 * read-only into the node, where the in-cluster git server serves it; the default kubeconfig left
 * alone (Paddock writes the cluster's own).
 */
export function k3dCreate(options: {
  name: string;
  ports: HostPorts;
  repositoryDir: string;
  image?: string;
}): Command {
  const k3s = (flag: string) => ['--k3s-arg', `${flag}@server:*`];
  return {
    tool: 'k3d',
    args: [
      'cluster',
      'create',
      options.name,
      '--servers',
      '1',
      '--agents',
      '0',
      '--image',
      options.image ?? BOOTSTRAP_VERSIONS.k3s,
      '--api-port',
      `127.0.0.1:${options.ports.api}`,
      '--port',
      `127.0.0.1:${options.ports.http}:80@loadbalancer`,
      '--port',
      `127.0.0.1:${options.ports.https}:443@loadbalancer`,
      ...k3s('--flannel-backend=none'),
      ...k3s('--disable-kube-proxy'),
      ...k3s('--disable-network-policy'),
      ...k3s('--disable=traefik'),
      ...k3s('--disable=servicelb'),
      '--volume',
      `${options.repositoryDir}:${GITOPS_MOUNT}@server:0`,
      '--kubeconfig-update-default=false',
      '--kubeconfig-switch-context=false',
      '--wait',
      '--timeout',
      '300s',
    ],
    timeoutMs: 360_000,
  };
}

/** Where the repository appears inside the k3d node. */
export const GITOPS_MOUNT = '/var/lib/paddock/gitops';

export function k3dKubeconfigWrite(name: string, path: string): Command {
  return { tool: 'k3d', args: ['kubeconfig', 'write', name, '--output', path, '--overwrite'] };
}

export function k3dDelete(name: string): Command {
  return { tool: 'k3d', args: ['cluster', 'delete', name], timeoutMs: 180_000 };
}

export function k3dStart(name: string): Command {
  return {
    tool: 'k3d',
    args: ['cluster', 'start', name, '--wait', '--timeout', '300s'],
    timeoutMs: 360_000,
  };
}

export function k3dStop(name: string): Command {
  return { tool: 'k3d', args: ['cluster', 'stop', name], timeoutMs: 180_000 };
}

export function k3dList(): Command {
  return { tool: 'k3d', args: ['cluster', 'list', '--output', 'json'] };
}

/**
 * Cilium needs the node's BPF filesystem and its cgroup2 mount shared, which k3d's node container
 * does not do by itself.
 */
export function ciliumNodeMounts(name: string): Command[] {
  const node = serverNode(name);
  return [
    {
      tool: 'docker',
      args: [
        'exec',
        node,
        'sh',
        '-c',
        'mount bpffs /sys/fs/bpf -t bpf && mount --make-shared /sys/fs/bpf',
      ],
    },
    {
      tool: 'docker',
      args: [
        'exec',
        node,
        'sh',
        '-c',
        'mkdir -p /run/cilium/cgroupv2 && mount -t cgroup2 none /run/cilium/cgroupv2 && mount --make-shared /run/cilium/cgroupv2/',
      ],
    },
  ];
}

function helmUpgradeInstall(options: {
  release: string;
  chart: string;
  repo: string;
  version: string;
  namespace: string;
  kubeconfig: string;
  valuesFile: string;
}): Command {
  return {
    tool: 'helm',
    args: [
      'upgrade',
      '--install',
      options.release,
      options.chart,
      '--repo',
      options.repo,
      '--version',
      options.version,
      '--namespace',
      options.namespace,
      '--create-namespace',
      '--kubeconfig',
      options.kubeconfig,
      '--values',
      options.valuesFile,
      '--wait',
      '--timeout',
      '10m',
    ],
    timeoutMs: 660_000,
  };
}

/**
 * Cilium's compiled-in values (infraDefaults' cilium, then what the k3d cluster needs): the CNI
 * and kube-proxy replacement (it talks to the API server directly: the node's 6443, as there is
 * no kube-proxy to reach the Service), with Hubble, its relay and UI, and Cilium's ingress
 * controller on the node's port 80, where k3d's load balancer forwards.
 */
export function ciliumValues(name: string): YamlMap {
  return deepMerge(infraDefaults(InfraComponent.Cilium), {
    k8sServiceHost: serverNode(name),
    k8sServicePort: 6443,
    ingressController: {
      enabled: true,
      default: true,
      loadbalancerMode: 'shared',
      hostNetwork: { enabled: true, sharedListenerPort: 80 },
    },
    hubble: {
      ui: { ingress: { enabled: true, className: 'cilium', hosts: ['hubble.localhost'] } },
    },
  }) as YamlMap;
}

/**
 * Argo CD's compiled-in values (infraDefaults' argocd, progressive syncs on so the catalog's
 * RollingSync rolls out tier by tier), with one ApplicationSet controller and the server behind
 * an Ingress on Cilium's class.
 */
export function argocdValues(): YamlMap {
  return deepMerge(infraDefaults(InfraComponent.ArgoCd), {
    applicationSet: { replicas: 1 },
    server: {
      ingress: { enabled: true, ingressClassName: 'cilium', hostname: 'argocd.localhost' },
    },
  }) as YamlMap;
}

/**
 * `helm upgrade --install` of Cilium with `valuesFile`: ciliumValues with the repository's
 * `infra/cilium.yaml` merged over them.
 */
export function helmCilium(options: {
  kubeconfig: string;
  valuesFile: string;
  version?: string;
}): Command {
  return helmUpgradeInstall({
    release: 'cilium',
    chart: 'cilium',
    repo: CILIUM_REPO,
    version: options.version ?? BOOTSTRAP_VERSIONS.cilium,
    namespace: CILIUM_NAMESPACE,
    kubeconfig: options.kubeconfig,
    valuesFile: options.valuesFile,
  });
}

/**
 * `helm upgrade --install` of Argo CD, its ApplicationSet controller included, with `valuesFile`:
 * argocdValues with the repository's `infra/argocd.yaml` merged over them.
 */
export function helmArgocd(options: {
  kubeconfig: string;
  valuesFile: string;
  version?: string;
}): Command {
  return helmUpgradeInstall({
    release: 'argocd',
    chart: 'argo-cd',
    repo: ARGOCD_REPO,
    version: options.version ?? BOOTSTRAP_VERSIONS.argocd,
    namespace: ARGOCD_NAMESPACE,
    kubeconfig: options.kubeconfig,
    valuesFile: options.valuesFile,
  });
}
