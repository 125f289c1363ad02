import type { YamlMap } from './deep-merge.ts';

/** The infrastructure a cluster runs below the catalog; each may be overridden in `infra/<name>.yaml`. */
export const InfraComponent = {
  Cilium: 'cilium',
  ArgoCd: 'argocd',
  Paddock: 'paddock',
} as const;
export type InfraComponent = (typeof InfraComponent)[keyof typeof InfraComponent];

export const INFRA_COMPONENTS: readonly InfraComponent[] = Object.values(InfraComponent);

export function isInfraComponent(value: string): value is InfraComponent {
  return (INFRA_COMPONENTS as readonly string[]).includes(value);
}

/**
 * The compiled-in Helm values of each infrastructure component, before `infra/<name>.yaml`
 * (bootstrap-plan adds what a k3d cluster needs to Cilium's and Argo CD's):
 * Cilium as kube-proxy replacement with Hubble; Argo CD with progressive syncs (the catalog
 * rolls out tier by tier) and the stricter git-file globbing; Paddock's install values.
 */
export function infraDefaults(component: InfraComponent): YamlMap {
  switch (component) {
    case InfraComponent.Cilium:
      return {
        kubeProxyReplacement: true,
        ipam: { mode: 'kubernetes' },
        operator: { replicas: 1 },
        hubble: { enabled: true, relay: { enabled: true }, ui: { enabled: true } },
      };
    case InfraComponent.ArgoCd:
      return {
        dex: { enabled: false },
        configs: {
          // argocd-cmd-params-cm, read by the argo-cd chart 9.5.4's ApplicationSet controller
          // (ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_PROGRESSIVE_SYNCS, …_NEW_GIT_FILE_GLOBBING).
          params: {
            'server.insecure': true,
            'applicationsetcontroller.enable.progressive.syncs': true,
            'applicationsetcontroller.enable.new.git.file.globbing': true,
          },
          cm: {
            'timeout.reconciliation': '60s',
            // Argo CD tracks what it deploys by an annotation (its 3.x default, pinned here):
            // label tracking would rewrite `app.kubernetes.io/instance`, a selector label of
            // Paddock's Deployments, so objects `paddock install` made could not be adopted.
            'application.resourceTrackingMethod': 'annotation',
          },
        },
      };
    case InfraComponent.Paddock:
      return { name: 'paddock', namespace: 'paddock-system' };
  }
}
