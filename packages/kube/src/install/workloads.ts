/**
 * The controller's and the server's Deployments, PodDisruptionBudgets and Services. Both run the
 * one Paddock image, non-root with a read-only root filesystem, every capability dropped, seccomp
 * `RuntimeDefault`, no privilege escalation (Pod Security "restricted"), probed on `/healthz`
 * (liveness) and `/readyz` (readiness). Values are placed, never computed on, so the Helm chart
 * generated from these functions gives the same objects for the same values.
 */
import { containerSecurityContext, podSecurityContext } from '../objects/hardening.ts';
import {
  InstallComponent,
  type KubeObject,
  meta,
  resourceName,
  selectorLabels,
} from './install-meta.ts';
import type { InstallValues } from './values.ts';

/** The uid and gid Paddock's processes run as (the image's `nonroot` user). */
const PADDOCK_UID = 65532;

type Workload = {
  component: InstallComponent;
  suffix: string;
  replicas: number;
  command: string[];
  port: { name: string; containerPort: number };
  /** Ports beside the probed one. */
  extraPorts?: Array<{ name: string; containerPort: number }>;
  env: Array<Record<string, unknown>>;
  envFrom?: Array<Record<string, unknown>>;
  resources: InstallValues['controller']['resources'];
  nodeSelector: Record<string, string>;
  tolerations: Array<Record<string, unknown>>;
  /**
   * Its own volumes beside /tmp (a claim, or an emptyDir of that size), and whether it must stop
   * before its next starts (a RWO volume).
   */
  volumes?: Array<
    { name: string; mountPath: string } & ({ claimName: string } | { emptyDirSize: string })
  >;
  isRecreated?: boolean;
};

function deployment(values: InstallValues, w: Workload): KubeObject {
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: w.port.name },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(values, w.suffix, w.component),
    spec: {
      replicas: w.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(values, w.component) },
      strategy: w.isRecreated
        ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: meta(values, w.suffix, w.component).labels },
        spec: {
          serviceAccountName: resourceName(values, w.suffix),
          // Both talk to the API server with their service account's token.
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          imagePullSecrets: values.image.pullSecrets,
          securityContext: podSecurityContext(PADDOCK_UID),
          nodeSelector: w.nodeSelector,
          tolerations: w.tolerations,
          // Replicas on different nodes where there are several.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selectorLabels(values, w.component) },
            },
          ],
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: w.suffix,
              image: `${values.image.repository}:${values.image.tag}`,
              imagePullPolicy: values.image.pullPolicy,
              command: w.command,
              env: w.env,
              ...(w.envFrom === undefined ? {} : { envFrom: w.envFrom }),
              ports: [w.port, ...(w.extraPorts ?? [])].map((p) => ({ ...p, protocol: 'TCP' })),
              livenessProbe: probe('/healthz', 10),
              readinessProbe: probe('/readyz', 5),
              resources: w.resources,
              securityContext: containerSecurityContext(PADDOCK_UID),
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                ...(w.volumes ?? []).map((v) => ({ name: v.name, mountPath: v.mountPath })),
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
            ...(w.volumes ?? []).map((v) =>
              'claimName' in v
                ? { name: v.name, persistentVolumeClaim: { claimName: v.claimName } }
                : { name: v.name, emptyDir: { sizeLimit: v.emptyDirSize } },
            ),
          ],
        },
      },
    },
  };
}

/** At most one pod of a component away at a time during a voluntary disruption (a drain). */
function disruptionBudget(
  values: InstallValues,
  component: InstallComponent,
  suffix: string,
): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(values, suffix, component),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(values, component) } },
  };
}

/**
 * `paddock controller` in the cluster: its identity and namespace from the downward API; the
 * server pods (which sandbox pods accept connections from) and the gateway (which the sandbox pod
 * of a run may reach) from the same values as the server's Deployment and gateway Service; its
 * own image as the one whose init container copies the run harness into sandbox pods.
 */
export function controllerWorkload(values: InstallValues) {
  const c = values.controller;
  const serverLabels = Object.entries(selectorLabels(values, InstallComponent.Server))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const deploy = deployment(values, {
    component: InstallComponent.Controller,
    suffix: 'controller',
    replicas: c.replicas,
    command: [
      'paddock',
      'controller',
      '--in-cluster',
      `--metrics-addr=0.0.0.0:${c.metricsPort}`,
      `--lease-duration=${c.leaseDuration}`,
      `--renew-deadline=${c.renewDeadline}`,
      `--retry-period=${c.retryPeriod}`,
      `--kube-qps=${c.kubeQps}`,
      `--kube-burst=${c.kubeBurst}`,
      `--server-namespace=${values.namespace}`,
      `--server-labels=${serverLabels}`,
      `--gateway-service=${resourceName(values, 'gateway')}`,
      `--gateway-port=${values.server.gatewayPort}`,
      // Sandbox pods get the run harness from an init container of this same image.
      `--harness-image=${values.image.repository}:${values.image.tag}`,
      `--harness-pull-policy=${values.image.pullPolicy}`,
      `--default-image=${c.defaultImage}`,
      ...c.extraArgs,
    ],
    port: { name: 'metrics', containerPort: c.metricsPort },
    env: [
      {
        name: 'PADDOCK_CONTROLLER_IDENTITY',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
      },
      {
        name: 'PADDOCK_CONTROLLER_NAMESPACE',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
      },
    ],
    resources: c.resources,
    nodeSelector: c.nodeSelector,
    tolerations: c.tolerations,
  });
  const metricsService: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(values, 'controller-metrics', InstallComponent.Controller),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(values, InstallComponent.Controller),
      ports: [{ name: 'metrics', port: c.metricsPort, targetPort: 'metrics', protocol: 'TCP' }],
    },
  };
  return {
    deployment: deploy,
    disruptionBudget: disruptionBudget(values, InstallComponent.Controller, 'controller'),
    metricsService,
  };
}

/** Where the server keeps its SQLite records (audit, API keys, transcripts, usage). */
const SERVER_HOME = '/var/lib/paddock';

/**
 * The gateway's URL as sandbox pods reach it: its Service's DNS name in the server's namespace.
 */
export function gatewayUrl(values: InstallValues): string {
  return `http://${resourceName(values, 'gateway')}.${values.namespace}.svc:${values.server.gatewayPort}`;
}

/**
 * `paddock server --in-cluster`: the API, web UI and `/metrics` on one port, the LLM gateway on
 * another (its own Service, which only run sandbox pods may reach: `network.ts`); its home
 * on a PersistentVolumeClaim, or with `databaseUrl` (`sharedDeployment`, replicas allowed) an
 * emptyDir and `PADDOCK_DATABASE` from the Secret `databaseSecret`; credentials as Secrets of
 * its own namespace; provider keys from an optional Secret.
 */
export function serverWorkload(values: InstallValues) {
  const s = values.server;
  const base = {
    component: InstallComponent.Server,
    suffix: 'server',
    replicas: s.replicas,
    command: [
      'paddock',
      'server',
      '--in-cluster',
      `--addr=0.0.0.0:${s.port}`,
      `--gateway-addr=0.0.0.0:${s.gatewayPort}`,
      `--preview-addr=0.0.0.0:${s.previewPort}`,
      `--gateway-url=${gatewayUrl(values)}`,
      '--auth=required',
      `--home=${SERVER_HOME}`,
      ...s.extraArgs,
    ],
    port: { name: 'http', containerPort: s.port },
    extraPorts: [
      { name: 'gateway', containerPort: s.gatewayPort },
      { name: 'preview', containerPort: s.previewPort },
    ],
    envFrom: [{ secretRef: { name: s.envSecret, optional: true } }],
    resources: s.resources,
    nodeSelector: s.nodeSelector,
    tolerations: s.tolerations,
  };
  const credentialsNamespace = {
    name: 'PADDOCK_CREDENTIALS_NAMESPACE',
    valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
  };
  // SQLite on a ReadWriteOnce volume: one replica, stopped before the next starts.
  const deploy = deployment(values, {
    ...base,
    env: [credentialsNamespace],
    volumes: [
      { name: 'data', mountPath: SERVER_HOME, claimName: resourceName(values, 'server-data') },
    ],
    isRecreated: true,
  });
  // PostgreSQL (`databaseUrl`): every record in the database, the keys and credentials in
  // Secrets, so a replica's home holds nothing another needs (an emptyDir), and replicas roll.
  const databaseSecretName = resourceName(values, 'server-database');
  const sharedDeployment = deployment(values, {
    ...base,
    env: [
      credentialsNamespace,
      {
        name: 'PADDOCK_DATABASE',
        valueFrom: { secretKeyRef: { name: databaseSecretName, key: 'url' } },
      },
    ],
    volumes: [{ name: 'data', mountPath: SERVER_HOME, emptyDirSize: '1Gi' }],
  });
  const databaseSecret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(values, 'server-database', InstallComponent.Server),
    type: 'Opaque',
    stringData: { url: s.databaseUrl },
  };
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(values, 'server', InstallComponent.Server),
    spec: {
      type: values.service.type,
      selector: selectorLabels(values, InstallComponent.Server),
      ports: [
        { name: 'http', port: values.service.port, targetPort: 'http', protocol: 'TCP' },
        // The preview URLs the server hands out name its listener's port: the same number here.
        { name: 'preview', port: s.previewPort, targetPort: 'preview', protocol: 'TCP' },
      ],
    },
  };
  const gatewayService: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(values, 'gateway', InstallComponent.Server),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(values, InstallComponent.Server),
      ports: [{ name: 'gateway', port: s.gatewayPort, targetPort: 'gateway', protocol: 'TCP' }],
    },
  };
  const dataClaim: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(values, 'server-data', InstallComponent.Server),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: s.dataSize } },
    },
  };
  return {
    deployment: deploy,
    sharedDeployment,
    databaseSecret,
    disruptionBudget: disruptionBudget(values, InstallComponent.Server, 'server'),
    service,
    gatewayService,
    dataClaim,
  };
}
