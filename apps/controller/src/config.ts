import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import {
  ErrorCode,
  fieldIssues,
  isDuration,
  LabelKey,
  LabelValue,
  PaddockError,
  parseDurationMs,
} from '@paddock/core';
import {
  DEFAULT_HARNESS,
  HarnessCli,
  type ObjectOptionsInput,
  resolveObjectOptions,
} from '@paddock/kube';
import { z } from 'zod';

const Addr = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 0.0.0.0:8080')
  .transform((value) => {
    const colon = value.lastIndexOf(':');
    return {
      host: value.slice(0, colon).replace(/^\[|\]$/g, ''),
      port: Number(value.slice(colon + 1)),
    };
  })
  .refine(({ port }) => port <= 65535, 'port must be 0-65535');

/** A duration (`10s`, `1500ms`, `2m`), in milliseconds. */
const Duration = z
  .string()
  .refine(isDuration, 'must be a duration such as 10s, 1500ms or 2m')
  .transform((text) => parseDurationMs(text))
  .pipe(z.number().positive('must be more than 0'));

const NamespaceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name (a DNS label)');

/** Pod labels as `KEY=VALUE,KEY=VALUE`: at least one, so that they never select every pod. */
const PodLabels = z.string().transform((text, ctx) => {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const equals = pair.indexOf('=');
    const key = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    if (equals === -1 || !LabelKey.safeParse(key).success || !LabelValue.safeParse(value).success) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(pair)} is not a label KEY=VALUE (give KEY=VALUE,KEY=VALUE)`,
      });
    } else labels[key] = value;
  }
  return labels;
});

/** The sandbox pods' view of the cluster when no flag says otherwise (the pod runtime's). */
const OBJECT_DEFAULTS = resolveObjectOptions();
const DEFAULT_GATEWAY_SERVICE = OBJECT_DEFAULTS.gateway?.name ?? 'paddock-gateway';
const DEFAULT_GATEWAY_PORT = OBJECT_DEFAULTS.gateway?.ports[0]?.port ?? 8081;

/**
 * Leader election defaults: a dead leader's Lease is taken over after at most about the lease
 * duration plus two retry periods with client-go's jitter (about 13.6 s).
 */
export const DEFAULT_ELECTION = {
  leaseDurationMs: 10_000,
  renewDeadlineMs: 7_000,
  retryPeriodMs: 1_500,
} as const;

/** The controller's default limit on its Kubernetes API requests: see `kubeQps`. */
export const DEFAULT_KUBE_QPS = 200;
export const DEFAULT_KUBE_BURST = 400;

const ControllerConfig = z
  .strictObject({
    /** A kubeconfig file (its current context), or the pod's service account with `inCluster`. */
    kubeconfig: z.string().min(1, 'must not be empty').optional(),
    inCluster: z.boolean().default(false),
    /** Where the leader-election Lease lives. */
    namespace: NamespaceName.default('paddock-system'),
    /** This candidate's name in the Lease: the pod's name in a cluster. */
    identity: z
      .string()
      .min(1, 'must not be empty')
      .max(128)
      .default(`${hostname()}-${process.pid}`),
    /** Where `/metrics`, `/healthz` and `/readyz` are served. */
    metricsAddr: Addr.default({ host: '127.0.0.1', port: 9464 }),
    /**
     * Leader election, as client-go's: a dead leader's Lease is taken over after at most about
     * the lease duration plus two retry periods with jitter (about 13.6 s with these defaults).
     */
    leaseDurationMs: Duration.refine((ms) => ms % 1000 === 0, 'must be whole seconds').default(
      10_000,
    ),
    renewDeadlineMs: Duration.default(7_000),
    retryPeriodMs: Duration.default(1_500),
    /**
     * The client-side limit on Kubernetes API requests (sustained per second, and burst): each
     * sandbox costs about three requests from create to Running.
     */
    kubeQps: z.coerce.number().positive('must be more than 0').default(DEFAULT_KUBE_QPS),
    kubeBurst: z.coerce
      .number()
      .int()
      .positive('must be a whole number above 0')
      .default(DEFAULT_KUBE_BURST),
    /** Apply Paddock's CRDs at start (needs the right to; `paddock install` normally does it). */
    installCrds: z.boolean().default(false),
    /**
     * Where the Paddock server pods run, and their labels: the only pods a sandbox pod accepts
     * connections from (the preview proxy, forwarded ports), and the pods of the LLM gateway.
     */
    serverNamespace: NamespaceName.default(OBJECT_DEFAULTS.controlPlane.namespace),
    serverLabels: PodLabels.default({ ...OBJECT_DEFAULTS.controlPlane.podLabels }),
    /**
     * The LLM gateway: its Service (in `serverNamespace`) and the server pods' gateway port
     * (`paddock server --gateway-addr`), which the sandbox pod of a run, and no other, may reach.
     */
    gatewayService: z
      .string()
      .max(63)
      .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'must be a Service name (a DNS label)')
      .default(DEFAULT_GATEWAY_SERVICE),
    gatewayPort: z.coerce
      .number({ error: 'must be a port, 1-65535' })
      .int('must be a port, 1-65535')
      .min(1, 'must be a port, 1-65535')
      .max(65535, 'must be a port, 1-65535')
      .default(DEFAULT_GATEWAY_PORT),
    /**
     * Paddock's own image, whose init container copies the run harness into every sandbox pod
     * (`paddock install` sets it to the controller's image); none: pods get no harness.
     */
    harnessImage: z.string().min(1, 'must not be empty').optional(),
    harnessPullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    /** The external CLIs copied with it (`claude-code,codex,opencode`; empty: none). */
    harnessClis: z
      .string()
      .transform((text) => text.split(',').filter((c) => c !== ''))
      .pipe(z.array(z.enum(Object.values(HarnessCli))))
      .default([...DEFAULT_HARNESS.clis]),
    /** The size limit of the harness's emptyDir in each sandbox pod. */
    harnessSize: z
      .string()
      .regex(/^[0-9]+(Mi|Gi)$/, 'must be a size such as 1Gi or 1500Mi')
      .default(DEFAULT_HARNESS.size),
    /** The image of a sandbox pod whose template names none (the built-in templates name none). */
    defaultImage: z
      .string()
      .regex(/^[^\s]+$/, 'must be an image reference, without spaces')
      .default(resolveObjectOptions({}).defaultImage),
  })
  .superRefine((config, ctx) => {
    if (config.inCluster && config.kubeconfig !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['kubeconfig'],
        message: 'give --kubeconfig or --in-cluster, not both',
      });
    }
    if (!(config.renewDeadlineMs < config.leaseDurationMs)) {
      ctx.addIssue({
        code: 'custom',
        path: ['renewDeadlineMs'],
        message: 'the renew deadline must be shorter than the lease duration',
      });
    }
    if (!(config.renewDeadlineMs > 1.2 * config.retryPeriodMs)) {
      ctx.addIssue({
        code: 'custom',
        path: ['retryPeriodMs'],
        message: 'the retry period must be under the renew deadline divided by 1.2',
      });
    }
  });
export type ControllerConfig = z.output<typeof ControllerConfig>;

const FLAGS = {
  kubeconfig: { type: 'string' },
  'in-cluster': { type: 'boolean' },
  namespace: { type: 'string' },
  identity: { type: 'string' },
  'metrics-addr': { type: 'string' },
  'lease-duration': { type: 'string' },
  'renew-deadline': { type: 'string' },
  'retry-period': { type: 'string' },
  'kube-qps': { type: 'string' },
  'kube-burst': { type: 'string' },
  'install-crds': { type: 'boolean' },
  'server-namespace': { type: 'string' },
  'server-labels': { type: 'string' },
  'gateway-service': { type: 'string' },
  'gateway-port': { type: 'string' },
  'harness-image': { type: 'string' },
  'harness-pull-policy': { type: 'string' },
  'harness-clis': { type: 'string' },
  'harness-size': { type: 'string' },
  'default-image': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function controllerUsage(): string {
  return `Usage: paddock controller (--kubeconfig FILE | --in-cluster) [flags]

Runs Paddock's reconcilers on a Kubernetes cluster whose API serves Paddock's CRDs. Several may
run at once: one leads (a coordination.k8s.io Lease), the others wait to take over.

  --kubeconfig FILE        a kubeconfig (its current context); default $KUBECONFIG, then ~/.kube/config
  --in-cluster             use the pod's service account
  --namespace NS           the namespace of the leader-election Lease (default paddock-system)
  --identity NAME          this candidate's name in the Lease (default HOST-PID; the pod name in a cluster)
  --metrics-addr HOST:PORT /metrics, /healthz and /readyz (default 127.0.0.1:9464)
  --lease-duration 10s     how long a leader's Lease holds without renewal (whole seconds)
  --renew-deadline 7s      how long a leader keeps trying to renew before it steps down
  --retry-period 1500ms    how often candidates try and leaders renew
  --kube-qps 200           Kubernetes API requests per second, sustained (client-side limit)
  --kube-burst 400         and in a burst
  --install-crds           apply Paddock's CRDs at start
  --server-namespace NS    where the Paddock server pods run (default paddock-system)
  --server-labels K=V,...  their labels (default app.kubernetes.io/name=paddock,
                           app.kubernetes.io/component=server): sandbox pods accept connections
                           from these pods alone, and the sandbox pod of a run reaches the
                           gateway on them
  --gateway-service NAME   the gateway's Service, in --server-namespace (default paddock-gateway)
  --gateway-port PORT      the server pods' gateway port, as its --gateway-addr (default 8081)
  --harness-image IMAGE    Paddock's image: an init container of it copies the run harness into
                           every sandbox pod (paddock install sets it); none: no harness in pods
  --harness-pull-policy P  its pull policy (default IfNotPresent)
  --harness-clis LIST      external CLIs copied with it: claude-code,codex,opencode (default
                           claude-code; Codex and OpenCode add about 800 MiB)
  --harness-size SIZE      the harness emptyDir's size limit (default 1Gi; 2Gi with every CLI)
  --default-image IMAGE    the image of sandboxes whose template names none (default
                           debian:bookworm-slim)

Subcommand: paddock controller copy-harness --to DIR [--clis LIST] copies the harness (this
process's Node.js and paddock-agent with its packages) into DIR: the init container runs it.

Environment: PADDOCK_CONTROLLER_IDENTITY, PADDOCK_CONTROLLER_NAMESPACE (the pod's name and
namespace, from the downward API), PADDOCK_SERVER_NAMESPACE, PADDOCK_SERVER_LABELS,
PADDOCK_GATEWAY_SERVICE, PADDOCK_GATEWAY_PORT, PADDOCK_HARNESS_IMAGE, PADDOCK_DEFAULT_IMAGE (as
their flags), KUBECONFIG.
`;
}

/**
 * The controller's settings from its command line and environment (flag > variable > default);
 * every bad value is reported at once as `validation_failed` naming its flag.
 */
export function resolveControllerConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  home: string,
): ControllerConfig | 'help' {
  let values: { [K in keyof typeof FLAGS]?: string | boolean | undefined };
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true }).values;
  } catch (error) {
    throw new PaddockError(ErrorCode.ValidationFailed, (error as Error).message);
  }
  if (values.help === true) return 'help';
  const str = (name: keyof typeof FLAGS) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const inCluster = values['in-cluster'] === true;
  const kubeconfig =
    str('kubeconfig') ??
    (inCluster ? undefined : env.KUBECONFIG?.split(':')[0] || `${home}/.kube/config`);
  const input = dropUndefined({
    kubeconfig,
    inCluster,
    namespace: str('namespace') ?? env.PADDOCK_CONTROLLER_NAMESPACE,
    identity: str('identity') ?? env.PADDOCK_CONTROLLER_IDENTITY,
    metricsAddr: str('metrics-addr'),
    leaseDurationMs: str('lease-duration'),
    renewDeadlineMs: str('renew-deadline'),
    retryPeriodMs: str('retry-period'),
    kubeQps: str('kube-qps'),
    kubeBurst: str('kube-burst'),
    installCrds: values['install-crds'] === true,
    serverNamespace: str('server-namespace') ?? env.PADDOCK_SERVER_NAMESPACE,
    serverLabels: str('server-labels') ?? env.PADDOCK_SERVER_LABELS,
    gatewayService: str('gateway-service') ?? env.PADDOCK_GATEWAY_SERVICE,
    gatewayPort: str('gateway-port') ?? env.PADDOCK_GATEWAY_PORT,
    harnessImage: str('harness-image') ?? env.PADDOCK_HARNESS_IMAGE,
    harnessPullPolicy: str('harness-pull-policy'),
    harnessClis: str('harness-clis'),
    harnessSize: str('harness-size'),
    defaultImage: str('default-image') ?? env.PADDOCK_DEFAULT_IMAGE,
  });
  const parsed = ControllerConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = fieldIssues(parsed.error).map((issue) => ({
    ...issue,
    path: FLAG_OF[issue.path] ?? issue.path,
  }));
  throw new PaddockError(
    ErrorCode.ValidationFailed,
    `invalid controller settings: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    { issues },
  );
}

const FLAG_OF: Record<string, string> = {
  kubeconfig: '--kubeconfig',
  namespace: '--namespace',
  identity: '--identity',
  metricsAddr: '--metrics-addr',
  leaseDurationMs: '--lease-duration',
  renewDeadlineMs: '--renew-deadline',
  retryPeriodMs: '--retry-period',
  kubeQps: '--kube-qps',
  kubeBurst: '--kube-burst',
  serverNamespace: '--server-namespace',
  serverLabels: '--server-labels',
  gatewayService: '--gateway-service',
  gatewayPort: '--gateway-port',
  harnessImage: '--harness-image',
  harnessPullPolicy: '--harness-pull-policy',
  harnessClis: '--harness-clis',
  harnessSize: '--harness-size',
  defaultImage: '--default-image',
};

/**
 * What the pod runtime's objects need to know of the server from the settings: the pods sandbox
 * pods accept connections from, and the gateway the sandbox pod of a run may reach.
 */
export function serverObjectOptions(
  config: ControllerConfig,
): Required<Pick<ObjectOptionsInput, 'controlPlane' | 'gateway'>> {
  const server = { namespace: config.serverNamespace, podLabels: config.serverLabels };
  return {
    controlPlane: server,
    gateway: { ...server, name: config.gatewayService, ports: [{ port: config.gatewayPort }] },
  };
}

/** How sandbox pods get the run harness from the settings (nothing without `--harness-image`). */
export function harnessObjectOptions(
  config: ControllerConfig,
): Pick<ObjectOptionsInput, 'harness'> {
  if (config.harnessImage === undefined) return {};
  return {
    harness: {
      ...DEFAULT_HARNESS,
      image: config.harnessImage,
      pullPolicy: config.harnessPullPolicy,
      clis: config.harnessClis,
      size: config.harnessSize,
    },
  };
}

function dropUndefined<T extends Record<string, unknown>>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}
