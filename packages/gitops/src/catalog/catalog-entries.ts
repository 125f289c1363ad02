/**
 * The compiled-in catalog of agent infrastructure: real upstream charts at pinned versions, with
 * the few Helm values each needs to run in a small single-node local cluster. Projects without an
 * upstream chart run on bjw-s's app-template, the generic chart the GitOps community uses for
 * plain images; their descriptions say so. Validated at load (`catalog.ts`).
 */
import { type CatalogEntryInput, Category, GITOPS_REPOSITORY, Tier } from './catalog-entry.ts';

const APP_TEMPLATE = {
  repoURL: 'https://bjw-s-labs.github.io/helm-charts',
  chart: 'app-template',
  targetRevision: '4.1.1',
} as const;

/** app-template values for one container behind one Service port. */
function oneContainer(
  image: { repository: string; tag: string },
  port: number,
  container: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    controllers: { main: { containers: { main: { image, ...container } } } },
    service: { main: { controller: 'main', ports: { http: { port } } } },
  };
}

const GRAFANA_COMMUNITY = 'https://grafana-community.github.io/helm-charts';

export const CATALOG_ENTRIES: readonly CatalogEntryInput[] = [
  // Tier 0: operators and CRDs.
  {
    name: 'cloudnative-pg',
    category: Category.Storage,
    description: 'CloudNativePG operator: runs PostgreSQL clusters as Kubernetes resources',
    repoURL: 'https://cloudnative-pg.github.io/charts',
    chart: 'cloudnative-pg',
    targetRevision: '0.29.0',
    namespace: 'cnpg-system',
    tier: Tier.Operators,
  },
  {
    name: 'external-secrets',
    category: Category.Security,
    description: 'External Secrets Operator: syncs Secrets from vaults and other namespaces',
    repoURL: 'https://charts.external-secrets.io',
    chart: 'external-secrets',
    targetRevision: '2.9.0',
    namespace: 'external-secrets',
    tier: Tier.Operators,
  },
  {
    name: 'gatekeeper',
    category: Category.Security,
    description: 'OPA Gatekeeper: admission policies (constraint templates) for agent namespaces',
    repoURL: 'https://open-policy-agent.github.io/gatekeeper/charts',
    chart: 'gatekeeper',
    targetRevision: '3.23.0',
    namespace: 'gatekeeper-system',
    tier: Tier.Operators,
    values: { replicas: 1 },
  },
  {
    name: 'kube-prometheus-stack',
    category: Category.Observability,
    description:
      'Prometheus operator, Prometheus, Grafana and cluster dashboards; its CRDs (ServiceMonitor, PrometheusRule) are what others register with',
    repoURL: 'https://prometheus-community.github.io/helm-charts',
    chart: 'kube-prometheus-stack',
    targetRevision: '88.5.3',
    namespace: 'monitoring',
    tier: Tier.Operators,
    values: {
      alertmanager: { enabled: false },
      // k3s runs these inside one process and Cilium replaces kube-proxy: nothing to scrape.
      kubeEtcd: { enabled: false },
      kubeControllerManager: { enabled: false },
      kubeScheduler: { enabled: false },
      kubeProxy: { enabled: false },
      prometheus: {
        prometheusSpec: {
          retention: '2d',
          // Pick up every ServiceMonitor and rule in the cluster, not only this release's.
          serviceMonitorSelectorNilUsesHelmValues: false,
          podMonitorSelectorNilUsesHelmValues: false,
          ruleSelectorNilUsesHelmValues: false,
        },
      },
    },
  },
  {
    name: 'cert-manager',
    category: Category.Security,
    description:
      'cert-manager: certificates for in-cluster TLS; required by the ClickHouse operator',
    repoURL: 'quay.io/jetstack/charts',
    chart: 'cert-manager',
    targetRevision: 'v1.20.2',
    namespace: 'cert-manager',
    tier: Tier.Operators,
    values: { crds: { enabled: true } },
  },
  {
    name: 'clickhouse-operator',
    category: Category.Storage,
    description:
      'ClickHouse operator: the ClickHouseCluster and KeeperCluster CRDs Langfuse renders',
    repoURL: 'ghcr.io/clickhouse',
    chart: 'clickhouse-operator-helm',
    targetRevision: '0.0.5',
    namespace: 'clickhouse-operator',
    tier: Tier.Operators,
    // Needs cert-manager, but both are operators in wave 0; Langfuse depends on both instead.
  },
  // Tier 1: data stores.
  {
    name: 'postgresql',
    category: Category.Storage,
    description:
      'PostgreSQL: one CloudNativePG Cluster (chart cloudnative-pg/cluster); service postgresql-rw, app credentials in Secret postgresql-app',
    repoURL: 'https://cloudnative-pg.github.io/charts',
    chart: 'cluster',
    targetRevision: '0.8.1',
    namespace: 'postgresql',
    tier: Tier.DataStores,
    dependsOn: ['cloudnative-pg'],
    values: {
      fullnameOverride: 'postgresql',
      type: 'postgresql',
      mode: 'standalone',
      cluster: { instances: 1, storage: { size: '2Gi' } },
    },
  },
  {
    name: 'valkey',
    category: Category.Storage,
    description: 'Valkey (the official valkey-io chart): a Redis-compatible cache, service valkey',
    repoURL: 'https://valkey.io/valkey-helm/',
    chart: 'valkey',
    targetRevision: '0.11.0',
    namespace: 'valkey',
    tier: Tier.DataStores,
  },
  {
    name: 'qdrant',
    category: Category.Rag,
    description: 'Qdrant vector database for retrieval-augmented generation',
    repoURL: 'https://qdrant.github.io/qdrant-helm',
    chart: 'qdrant',
    targetRevision: '1.19.0',
    namespace: 'qdrant',
    tier: Tier.DataStores,
    values: { replicaCount: 1, persistence: { size: '2Gi' } },
  },
  {
    name: 'loki',
    category: Category.Observability,
    description:
      'Grafana Loki log store, monolithic on the filesystem (the OSS chart now lives in grafana-community)',
    repoURL: GRAFANA_COMMUNITY,
    chart: 'loki',
    targetRevision: '18.11.0',
    namespace: 'monitoring',
    tier: Tier.DataStores,
    values: {
      deploymentMode: 'Monolithic',
      loki: {
        auth_enabled: false,
        commonConfig: { replication_factor: 1 },
        storage: { type: 'filesystem' },
        useTestSchema: true,
      },
      singleBinary: { replicas: 1 },
      chunksCache: { enabled: false },
      resultsCache: { enabled: false },
      lokiCanary: { enabled: false },
      test: { enabled: false },
    },
  },
  {
    name: 'tempo',
    category: Category.Observability,
    description: 'Grafana Tempo trace store, single binary (chart maintained in grafana-community)',
    repoURL: GRAFANA_COMMUNITY,
    chart: 'tempo',
    targetRevision: '2.2.4',
    namespace: 'monitoring',
    tier: Tier.DataStores,
  },
  // Tier 2: platform services.
  {
    name: 'alloy',
    category: Category.Observability,
    description:
      'Grafana Alloy collector: ships logs to Loki, traces to Tempo, metrics to Prometheus',
    repoURL: 'https://grafana.github.io/helm-charts',
    chart: 'alloy',
    targetRevision: '1.2.0',
    namespace: 'monitoring',
    tier: Tier.Services,
    dependsOn: ['kube-prometheus-stack', 'loki', 'tempo'],
  },
  {
    name: 'litellm',
    category: Category.LlmGateway,
    description:
      'LiteLLM proxy: one OpenAI-compatible gateway in front of every model provider, keys and spend in PostgreSQL, cache in Valkey',
    repoURL: 'ghcr.io/berriai/litellm/chart',
    chart: 'litellm',
    targetRevision: '1.0.0',
    namespace: 'litellm',
    tier: Tier.Services,
    dependsOn: ['postgresql', 'valkey'],
    values: {
      database: { writer: { host: 'postgresql-rw.postgresql.svc', dbname: 'app' } },
      redis: { host: 'valkey.valkey.svc' },
      migrationJob: { hooks: { helm: { enabled: false }, argocd: { enabled: true } } },
    },
    prerequisites: [
      'Secrets in namespace litellm: litellm-master-key-secret (master-key), litellm-writer-secret (username, password of the PostgreSQL app user), litellm-env (LITELLM_SALT_KEY and provider keys)',
    ],
  },
  {
    name: 'langfuse',
    category: Category.Observability,
    description:
      'Langfuse: LLM tracing, prompt management and evaluations; bundles its own PostgreSQL, Valkey, SeaweedFS and ClickHouse',
    repoURL: 'ghcr.io/langfuse/langfuse-k8s/charts',
    chart: 'langfuse',
    targetRevision: '2.0.0',
    namespace: 'langfuse',
    tier: Tier.Services,
    dependsOn: ['cert-manager', 'clickhouse-operator'],
    prerequisites: [
      "Secret langfuse in namespace langfuse with the keys of the chart's examples/minimal-installation/secret.yaml",
    ],
  },
  {
    name: 'temporal',
    category: Category.Runtime,
    description:
      'Temporal: durable workflows for long-running agent tasks, persisted in PostgreSQL',
    repoURL: 'https://go.temporal.io/helm-charts',
    chart: 'temporal',
    targetRevision: '1.6.0',
    namespace: 'temporal',
    tier: Tier.Services,
    dependsOn: ['postgresql'],
    values: {
      server: {
        config: {
          persistence: {
            numHistoryShards: 64,
            datastores: {
              default: { sql: temporalSql('temporal') },
              visibility: { sql: temporalSql('temporal_visibility') },
            },
          },
        },
      },
    },
    prerequisites: [
      'Databases temporal and temporal_visibility owned by the PostgreSQL app user, and Secret temporal-db (password) in namespace temporal',
    ],
  },
  {
    name: 'ollama',
    category: Category.Models,
    description: 'Ollama: local open-weight models on CPU (community chart by otwld)',
    repoURL: 'https://helm.otwld.com/',
    chart: 'ollama',
    targetRevision: '1.77.0',
    namespace: 'ollama',
    tier: Tier.Services,
    values: {
      ollama: { models: { pull: ['qwen2.5:0.5b'] } },
      persistentVolume: { enabled: true, size: '10Gi' },
    },
  },
  {
    name: 'text-embeddings-inference',
    category: Category.Rag,
    description:
      "Hugging Face Text Embeddings Inference (CPU). No upstream Helm chart: runs the project's image on app-template",
    ...APP_TEMPLATE,
    namespace: 'embeddings',
    tier: Tier.Services,
    values: oneContainer(
      { repository: 'ghcr.io/huggingface/text-embeddings-inference', tag: 'cpu-1.9' },
      80,
      { args: ['--model-id', 'BAAI/bge-small-en-v1.5'] },
    ),
  },
  {
    name: 'unstructured',
    category: Category.Rag,
    description:
      "Unstructured API: parses PDFs, Office files and HTML into chunks. No upstream Helm chart: runs the project's image on app-template",
    ...APP_TEMPLATE,
    namespace: 'unstructured',
    tier: Tier.Services,
    values: oneContainer(
      { repository: 'downloads.unstructured.io/unstructured-io/unstructured-api', tag: '0.1.2' },
      8000,
    ),
  },
  {
    name: 'presidio',
    category: Category.Guardrails,
    description:
      "Microsoft Presidio PII analyzer and anonymizer, from the sample chart in Presidio's own repository (it publishes no Helm repository)",
    repoURL: 'https://github.com/microsoft/presidio.git',
    path: 'docs/samples/deployments/k8s/charts/presidio',
    targetRevision: '2.2.363',
    namespace: 'presidio',
    tier: Tier.Services,
    values: { ingress: { enabled: false } },
  },
  {
    name: 'guardrails-ai',
    category: Category.Guardrails,
    description:
      'Guardrails AI server (guardrails-api) validating LLM input and output. No upstream Helm chart or public image: you build the image with your guards; runs on app-template',
    ...APP_TEMPLATE,
    namespace: 'guardrails',
    tier: Tier.Services,
    values: oneContainer({ repository: 'guardrails-server', tag: 'local' }, 8000),
    prerequisites: [
      'An image guardrails-server:local built from your guards (guardrails create, hub install; needs a Guardrails Hub token) and imported into the cluster',
    ],
  },
  {
    name: 'nemo-guardrails',
    category: Category.Guardrails,
    description:
      "NVIDIA NeMo Guardrails server (the Apache-2.0 library's API server). NVIDIA's own chart needs an NGC account; this runs the library's image on app-template",
    ...APP_TEMPLATE,
    namespace: 'guardrails',
    tier: Tier.Services,
    values: oneContainer({ repository: 'nemoguardrails', tag: 'local' }, 8000),
    prerequisites: [
      "An image nemoguardrails:local built from the NeMo-Guardrails repository's Dockerfile with your rails config, imported into the cluster",
    ],
  },
  // Tier 3: applications.
  {
    name: 'paddock',
    category: Category.Platform,
    description:
      "Paddock itself: CRDs, controller, server and gateway, from the chart in the cluster's GitOps repository",
    repoURL: GITOPS_REPOSITORY,
    path: 'charts/paddock',
    targetRevision: 'HEAD',
    namespace: 'paddock-system',
    enabled: true,
    tier: Tier.Apps,
  },
];

function temporalSql(databaseName: string): Record<string, unknown> {
  return {
    pluginName: 'postgres12',
    driverName: 'postgres12',
    databaseName,
    connectAddr: 'postgresql-rw.postgresql.svc:5432',
    connectProtocol: 'tcp',
    user: 'app',
    existingSecret: 'temporal-db',
    secretKey: 'password',
    manageSchema: true,
  };
}
