// The Argo CD objects that watch the GitOps repository: one AppProject and three ApplicationSets
// whose git file generators read apps/coordinates, catalog and agents. Shapes follow Argo CD's
// CRDs (argoproj.io/v1alpha1); templates use Go templates with missingkey=error, so a file that
// lacks a field fails loudly instead of rendering "<no value>".
import {
  agentManifestsDir,
  appValuesFile,
  catalogValuesFile,
  infraFile,
  Layout,
} from './layout.ts';

export const ARGOCD_API_VERSION = 'argoproj.io/v1alpha1';
/** The label every generated Application carries, naming the part of the repository it comes from. */
export const PART_LABEL = 'paddock.dev/part';
/** The label carrying a catalog Application's tier (the RollingSync steps select on it). */
export const TIER_LABEL = 'paddock.dev/tier';
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const IN_CLUSTER = 'https://kubernetes.default.svc';

/** How Argo CD reaches the repository and where its objects live. */
export type RepoSettings = {
  /** The URL Argo CD clones the repository from (the cluster part serves it). */
  repoURL: string;
  /** The branch (or other revision) Argo CD follows. */
  revision: string;
  /** Argo CD's namespace. */
  argocdNamespace: string;
  /** The AppProject every generated Application belongs to. */
  project: string;
  /** The catalog tiers, in rollout order: one RollingSync step each. */
  catalogTiers: readonly number[];
};

export const DEFAULT_REPO_SETTINGS: Omit<RepoSettings, 'repoURL'> = {
  revision: 'main',
  argocdNamespace: 'argocd',
  project: 'paddock',
  catalogTiers: [0, 1, 2, 3],
};

export type ArgoObject = {
  apiVersion: typeof ARGOCD_API_VERSION;
  kind: 'AppProject' | 'ApplicationSet' | 'Application';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
};

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'paddock' };
const SYNC_OPTIONS = ['CreateNamespace=true', 'ServerSideApply=true'];
const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';
/** The sync option that keeps an Application's objects when Argo CD deletes the Application. */
export const KEEP_ON_DELETE = 'Delete=false';
/**
 * A catalog Application's objects go with it when its entry is disabled, except Paddock's: those
 * are handed to `paddock install` instead (`Delete=false`), so disabling the entry never takes
 * Paddock down. (Argo CD never deletes CRDs with an Application anyway.)
 */
const CATALOG_DELETE_OPTION = 'Delete={{ ne .name "paddock" }}';
const RETRY = { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } };

export function appProject(settings: RepoSettings): ArgoObject {
  return {
    apiVersion: ARGOCD_API_VERSION,
    kind: 'AppProject',
    metadata: { name: settings.project, namespace: settings.argocdNamespace, labels: MANAGED_BY },
    spec: {
      description: 'Everything the Paddock GitOps repository rolls out',
      // Custom apps and catalog charts come from any chart repository or git repository.
      sourceRepos: ['*'],
      destinations: [{ server: IN_CLUSTER, namespace: '*' }],
      // Catalog charts install CRDs, cluster roles and webhooks; agents get their Namespace.
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  };
}

function applicationSet(
  settings: RepoSettings,
  name: string,
  files: ReadonlyArray<{ path: string; exclude?: boolean }>,
  template: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): ArgoObject {
  return {
    apiVersion: ARGOCD_API_VERSION,
    kind: 'ApplicationSet',
    metadata: { name, namespace: settings.argocdNamespace, labels: MANAGED_BY },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [
        {
          git: { repoURL: settings.repoURL, revision: settings.revision, files },
          ...(name === 'paddock-agents' ? {} : { selector: { matchLabels: { enabled: 'true' } } }),
        },
      ],
      template,
      ...extra,
    },
  };
}

/** The values source every Helm Application reads `$values/…` from: the repository itself. */
function valuesSource(settings: RepoSettings): Record<string, unknown> {
  return { repoURL: settings.repoURL, targetRevision: settings.revision, ref: 'values' };
}

/** Custom apps: one Application per enabled `apps/coordinates/<name>.yaml`, values from `apps/values/`. */
export function appsApplicationSet(settings: RepoSettings): ArgoObject {
  return applicationSet(settings, 'paddock-apps', [{ path: `${Layout.appCoordinates}/*.yaml` }], {
    metadata: {
      name: 'app-{{ .name }}',
      labels: { [PART_LABEL]: 'apps', ...MANAGED_BY },
      finalizers: [RESOURCES_FINALIZER],
    },
    spec: {
      project: settings.project,
      sources: [
        {
          repoURL: '{{ .source.repoURL }}',
          // One of chart (a Helm repository) and path (a chart in a git repository) is empty,
          // and an empty field is an absent one to Argo CD.
          chart: '{{ .source.chart }}',
          path: '{{ .source.path }}',
          targetRevision: '{{ .source.targetRevision }}',
          helm: {
            releaseName: '{{ .name }}',
            valueFiles: [`$values/${appValuesFile('{{ .name }}')}`],
          },
        },
        valuesSource(settings),
      ],
      destination: { server: IN_CLUSTER, namespace: '{{ .namespace }}' },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: SYNC_OPTIONS,
        retry: RETRY,
      },
    },
  });
}

/**
 * The catalog: one Application per enabled `catalog/<name>.yaml`, labelled and sync-waved by its
 * tier, rolled out tier by tier (RollingSync: each step waits for the one before to be Healthy;
 * Argo CD needs progressive syncs enabled, which the Argo CD defaults of `infra` do), and torn
 * down in reverse.
 */
export function catalogApplicationSet(settings: RepoSettings): ArgoObject {
  const tiers = settings.catalogTiers.map(String);
  return applicationSet(
    settings,
    'paddock-catalog',
    [{ path: `${Layout.catalog}/*.yaml` }, { path: `${Layout.catalog}/*/*.yaml`, exclude: true }],
    {
      metadata: {
        name: 'catalog-{{ .name }}',
        labels: {
          [PART_LABEL]: 'catalog',
          [TIER_LABEL]: '{{ .tier }}',
          'paddock.dev/category': '{{ .category }}',
          ...MANAGED_BY,
        },
        annotations: { [SYNC_WAVE_ANNOTATION]: '{{ .tier }}' },
        finalizers: [RESOURCES_FINALIZER],
      },
      spec: {
        project: settings.project,
        sources: [
          {
            repoURL: '{{ .repoURL }}',
            // A chart from a Helm repository, or the folder of one in a git repository (empty is absent).
            chart: '{{ .chart }}',
            path: '{{ .chartPath }}',
            targetRevision: '{{ .targetRevision }}',
            helm: {
              releaseName: '{{ .name }}',
              // The entry's values, then the user's overrides: Helm merges maps, replaces the rest.
              valueFiles: [
                `$values/${catalogValuesFile('{{ .name }}')}`,
                `$values/${infraFile('{{ .name }}')}`,
              ],
              ignoreMissingValueFiles: true,
            },
          },
          valuesSource(settings),
        ],
        destination: { server: IN_CLUSTER, namespace: '{{ .namespace }}' },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: [...SYNC_OPTIONS, CATALOG_DELETE_OPTION],
          retry: RETRY,
        },
      },
    },
    {
      strategy: {
        type: 'RollingSync',
        deletionOrder: 'Reverse',
        rollingSync: {
          steps: [
            ...tiers.map((tier) => ({
              matchExpressions: [{ key: TIER_LABEL, operator: 'In', values: [tier] }],
            })),
            // A tier beyond the listed ones still rolls out, last.
            { matchExpressions: [{ key: TIER_LABEL, operator: 'NotIn', values: tiers }] },
          ],
        },
      },
    },
  );
}

/** Agents: one Application per `agents/<name>.yaml`, applying the manifests in `agents/<name>/`. */
export function agentsApplicationSet(settings: RepoSettings): ArgoObject {
  return applicationSet(
    settings,
    'paddock-agents',
    [{ path: `${Layout.agents}/*.yaml` }, { path: `${Layout.agents}/*/*.yaml`, exclude: true }],
    {
      metadata: {
        name: 'agent-{{ .name }}',
        labels: { [PART_LABEL]: 'agents', ...MANAGED_BY },
        finalizers: [RESOURCES_FINALIZER],
      },
      spec: {
        project: settings.project,
        source: {
          repoURL: settings.repoURL,
          targetRevision: settings.revision,
          path: agentManifestsDir('{{ .name }}'),
        },
        destination: { server: IN_CLUSTER, namespace: '{{ .name }}' },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['ServerSideApply=true'],
          retry: RETRY,
        },
      },
    },
  );
}

/** Everything the cluster part applies (in this order) so that Argo CD watches the repository. */
export function bootstrapObjects(settings: RepoSettings): ArgoObject[] {
  return [
    appProject(settings),
    appsApplicationSet(settings),
    catalogApplicationSet(settings),
    agentsApplicationSet(settings),
  ];
}

/** The file under `bootstrap/` each object is written to. */
export function bootstrapFile(object: ArgoObject): string {
  return `${Layout.bootstrap}/${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}
