/**
 * How the cluster reads the GitOps repository: k3d mounts it read-only into the node
 * (bootstrap-plan's GITOPS_MOUNT) and a small git daemon Deployment serves it at
 * `git://paddock-gitops.argocd.svc.cluster.local/gitops`; every commit on this machine is visible
 * at once. Argo CD learns the repository from a Secret labelled as a repository.
 */
import { ARGOCD_NAMESPACE, GITOPS_MOUNT } from './bootstrap-plan.ts';
import type { KubeObject } from './kube-objects.ts';

export const IN_CLUSTER_REPO_URL = `git://paddock-gitops.${ARGOCD_NAMESPACE}.svc.cluster.local/gitops`;
const GIT_IMAGE = 'alpine/git:v2.47.2';
const LABELS = {
  'app.kubernetes.io/name': 'paddock-gitops',
  'app.kubernetes.io/part-of': 'paddock',
};

/** The git daemon serving the mounted repository (read-only, port 9418). */
export function gitServerObjects(): KubeObject[] {
  const meta = { name: 'paddock-gitops', namespace: ARGOCD_NAMESPACE, labels: LABELS };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGOCD_NAMESPACE } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta,
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'paddock-gitops' } },
        template: {
          metadata: { labels: LABELS },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'git-daemon',
                image: GIT_IMAGE,
                command: ['sh', '-c'],
                // The repository belongs to the user on the host: git refuses it unless trusted.
                args: [
                  "git config --global --add safe.directory '*' && exec git daemon --reuseaddr --export-all --base-path=/srv /srv/gitops",
                ],
                ports: [{ name: 'git', containerPort: 9418 }],
                volumeMounts: [{ name: 'gitops', mountPath: '/srv/gitops', readOnly: true }],
                resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
              },
            ],
            volumes: [{ name: 'gitops', hostPath: { path: GITOPS_MOUNT, type: 'Directory' } }],
          },
        },
      },
    },
    {
      // Only Argo CD's repo server reads the repository.
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: meta,
      spec: {
        endpointSelector: { matchLabels: { 'app.kubernetes.io/name': 'paddock-gitops' } },
        ingress: [
          {
            fromEndpoints: [{ matchLabels: { 'app.kubernetes.io/name': 'argocd-repo-server' } }],
            toPorts: [{ ports: [{ port: '9418', protocol: 'TCP' }] }],
          },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta,
      spec: {
        selector: { 'app.kubernetes.io/name': 'paddock-gitops' },
        ports: [{ name: 'git', port: 9418, targetPort: 'git' }],
      },
    },
  ];
}

/** Argo CD's declarative repository: a Secret labelled `argocd.argoproj.io/secret-type`. */
export function repositorySecret(url: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'paddock-gitops-repository',
      namespace: ARGOCD_NAMESPACE,
      labels: { 'argocd.argoproj.io/secret-type': 'repository', ...LABELS },
    },
    type: 'Opaque',
    stringData: { type: 'git', name: 'paddock-gitops', url },
  };
}
