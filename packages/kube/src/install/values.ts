/**
 * The values of `paddock install` (and of the Helm chart `charts/paddock`): one typed object,
 * every field defaulted, every bad value named by its path (`controller.replicas: …`). Values
 * come from a YAML file and `--set path=value` pairs, resolved once: set > file > default.
 */
import { ErrorCode, formatPath, isDuration, isQuantity, PaddockError } from '@paddock/core';
import { parse } from 'yaml';
import { z } from 'zod';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DnsLabel = z
  .string()
  .max(63)
  .regex(NAME, 'must be a DNS label (lowercase letters, digits, -)');
const Quantity = z
  .string()
  .refine(isQuantity, 'must be a Kubernetes quantity such as 500m or 512Mi');
const Duration = z.string().refine(isDuration, 'must be a duration such as 10s or 1500ms');
const Port = z.number().int('must be a whole number').min(1).max(65535);
const Replicas = z.number().int('must be a whole number').min(1).max(20);
const Labels = z.record(z.string(), z.string());
const Cidr = z
  .string()
  .regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, 'must be a CIDR such as 10.0.0.1/32 or 0.0.0.0/0');

const Resources = z.strictObject({
  requests: z.strictObject({ cpu: Quantity, memory: Quantity }),
  limits: z.strictObject({ cpu: Quantity, memory: Quantity }),
});

/** Scheduling of a Deployment's pods: passed through as Kubernetes writes them. */
const Scheduling = {
  nodeSelector: Labels.default({}),
  tolerations: z.array(z.record(z.string(), z.unknown())).default([]),
};

export const PrometheusOperatorMode = {
  /** Render ServiceMonitor and PrometheusRule when the cluster serves their CRDs. */
  Auto: 'auto',
  Enabled: 'enabled',
  Disabled: 'disabled',
} as const;
export type PrometheusOperatorMode =
  (typeof PrometheusOperatorMode)[keyof typeof PrometheusOperatorMode];

export const InstallValues = z
  .strictObject({
    /** The release: prefix of every object's name, and its `app.kubernetes.io/instance` label. */
    name: DnsLabel.max(40).default('paddock'),
    /** Where the controller, the server and their objects live (the Lease too). */
    namespace: DnsLabel.default('paddock-system'),
    /** Render the Namespace (labelled to enforce Pod Security "restricted"). */
    createNamespace: z.boolean().default(true),
    /** The one Paddock image: it runs `paddock controller` and `paddock server`. */
    image: z
      .strictObject({
        repository: z.string().min(1, 'must not be empty').default('paddock/paddock'),
        tag: z.string().min(1, 'must not be empty').default('0.1.0'),
        pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
        pullSecrets: z.array(z.strictObject({ name: DnsLabel })).default([]),
      })
      .prefault({}),
    controller: z
      .strictObject({
        replicas: Replicas.default(2),
        /** Where `/metrics`, `/healthz` and `/readyz` listen in the pod. */
        metricsPort: Port.default(9464),
        leaseDuration: Duration.default('10s'),
        renewDeadline: Duration.default('7s'),
        retryPeriod: Duration.default('1500ms'),
        kubeQps: z.number().positive().default(200),
        kubeBurst: z.number().int().positive().default(400),
        /** The image of sandbox pods whose template names none (`--default-image`). */
        defaultImage: z
          .string()
          .regex(/^\S+$/, 'must be an image reference, without spaces')
          .default('debian:bookworm-slim'),
        resources: Resources.default({
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { cpu: '1', memory: '512Mi' },
        }),
        extraArgs: z.array(z.string()).default([]),
        ...Scheduling,
      })
      .prefault({}),
    server: z
      .strictObject({
        enabled: z.boolean().default(true),
        /**
         * One by default: without a PostgreSQL database (`databaseUrl`), API keys, audit,
         * transcripts and usage are in SQLite on the server's volume, which one replica mounts.
         * More need `databaseUrl`: the replicas then share it, the keys (Secrets) and the
         * election of the run reconcilers (a Lease).
         */
        replicas: Replicas.default(1),
        /**
         * A PostgreSQL URL (`postgres://user:password@host:5432/db`) for the server's records,
         * kept in the Secret `<name>-server-database`; empty: SQLite on the server's volume.
         */
        databaseUrl: z
          .string()
          .refine(
            (url) => url === '' || /^postgres(ql)?:\/\/\S+$/.test(url),
            'must be a postgres:// URL (or empty for SQLite on the server volume)',
          )
          .default(''),
        port: Port.default(7070),
        /**
         * The LLM gateway's port (`--gateway-addr`), behind the Service `<name>-gateway`: only the
         * sandbox pods of runs may reach it (`networkPolicy.sandboxNamespaceLabels`).
         */
        gatewayPort: Port.default(8081),
        /**
         * The preview listener's port (`--preview-addr`): sandbox previews on their own origin, a
         * port of the Service `<name>-server` with the same number (a preview URL names it).
         */
        previewPort: Port.default(7071),
        /** The server's data volume (a PersistentVolumeClaim of the cluster's default class). */
        dataSize: z
          .string()
          .regex(/^[0-9]+(Ki|Mi|Gi|Ti)$/, 'must be a size such as 10Gi')
          .default('10Gi'),
        /** A Secret whose keys become the server's environment (provider keys); optional. */
        envSecret: DnsLabel.default('paddock-server-env'),
        resources: Resources.default({
          requests: { cpu: '200m', memory: '256Mi' },
          limits: { cpu: '2', memory: '1Gi' },
        }),
        extraArgs: z.array(z.string()).default([]),
        ...Scheduling,
      })
      .prefault({}),
    service: z
      .strictObject({
        type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
        port: Port.default(80),
      })
      .prefault({}),
    ingress: z
      .strictObject({
        enabled: z.boolean().default(false),
        className: z.string().min(1, 'must not be empty').default('nginx'),
        host: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS name')
          .default('paddock.example.com'),
        tlsSecret: DnsLabel.default('paddock-tls'),
        annotations: Labels.default({}),
      })
      .prefault({}),
    networkPolicy: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Where the API server is: the controller may reach these, on these ports, and no more. */
        apiServerCidrs: z.array(Cidr).min(1).default(['0.0.0.0/0']),
        apiServerPorts: z.array(Port).min(1).default([443, 6443]),
        /**
         * Labels of the namespaces whose run sandbox pods may reach the gateway (empty: every
         * namespace; pods must still be Paddock's sandbox pods labelled with a run).
         */
        sandboxNamespaceLabels: Labels.default({}),
      })
      .prefault({}),
    monitoring: z
      .strictObject({
        prometheusOperator: z
          .enum(Object.values(PrometheusOperatorMode))
          .default(PrometheusOperatorMode.Auto),
        /** Labels a Prometheus selects ServiceMonitors and rules by (`release: …`). */
        labels: Labels.default({}),
        scrapeInterval: Duration.default('30s'),
        /** Alert thresholds. */
        stuckCreatingFor: Duration.default('10m'),
        warmPoolEmptyFor: Duration.default('5m'),
        volumeFullRatio: z.number().gt(0).lt(1).default(0.9),
        /** A namespace's spend today past this share of its daily budget alerts. */
        budgetNearRatio: z.number().gt(0).lt(1).default(0.8),
        dashboard: z
          .strictObject({
            enabled: z.boolean().default(true),
            /** Labels Grafana's dashboard sidecar picks ConfigMaps by. */
            labels: Labels.default({ grafana_dashboard: '1' }),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .superRefine((values, ctx) => {
    const { port, gatewayPort, previewPort } = values.server;
    if (previewPort === port || previewPort === gatewayPort || gatewayPort === port) {
      ctx.addIssue({
        code: 'custom',
        path: [
          'server',
          previewPort === port || previewPort === gatewayPort ? 'previewPort' : 'gatewayPort',
        ],
        message: `server.port (${port}), server.gatewayPort (${gatewayPort}) and server.previewPort (${previewPort}) must differ: each is a listener of its own`,
      });
    }
    if (values.server.enabled && values.server.replicas > 1 && values.server.databaseUrl === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'replicas'],
        message: `${values.server.replicas} replicas need server.databaseUrl (a postgres:// URL): without it the server keeps its records in SQLite on a volume that one replica mounts`,
      });
    }
  });
export type InstallValues = z.output<typeof InstallValues>;
export type InstallValuesInput = z.input<typeof InstallValues>;

/** The defaults: what `values.yaml` of the chart holds. */
export function defaultValues(): InstallValues {
  return InstallValues.parse({});
}

/**
 * Values from a file's YAML text and `--set path=value` pairs (each value read as YAML: `true`,
 * `3`, `[a, b]`). `validation_failed` lists every problem, each with its path.
 */
export function resolveValues(input: {
  fileText?: string;
  sets?: readonly string[];
}): InstallValues {
  const issues: Array<{ path: string; message: string }> = [];
  let tree: Record<string, unknown> = {};
  if (input.fileText !== undefined) {
    try {
      const parsed: unknown = parse(input.fileText);
      if (parsed === null || parsed === undefined) tree = {};
      else if (typeof parsed === 'object' && !Array.isArray(parsed)) {
        tree = parsed as Record<string, unknown>;
      } else issues.push({ path: '(values)', message: 'must be a YAML mapping' });
    } catch (error) {
      issues.push({ path: '(values)', message: (error as Error).message });
    }
  }
  for (const set of input.sets ?? []) {
    const issue = applySet(tree, set);
    if (issue !== undefined) issues.push(issue);
  }
  const result = InstallValues.safeParse(tree);
  if (!result.success) issues.push(...valueIssues(result.error));
  if (issues.length > 0 || !result.success) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `invalid values: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  return result.data;
}

/** Sets `path=value` into `tree`; an issue when the pair is malformed. */
function applySet(
  tree: Record<string, unknown>,
  set: string,
): { path: string; message: string } | undefined {
  const equals = set.indexOf('=');
  const path = equals === -1 ? set : set.slice(0, equals);
  if (equals === -1 || !/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(path)) {
    return { path: `--set ${set}`, message: 'must be path.to.key=value' };
  }
  let value: unknown;
  try {
    value = parse(set.slice(equals + 1)) ?? '';
  } catch (error) {
    return { path, message: `not a YAML value: ${(error as Error).message}` };
  }
  const keys = path.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) ?? path] = value;
  return undefined;
}

/** Each issue at its value's path; an unknown key is named itself. */
function valueIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: formatPath([...issue.path, key]),
          message: 'is not a value of paddock install',
        }))
      : [{ path: formatPath(issue.path) || '(values)', message: issue.message }],
  );
}
