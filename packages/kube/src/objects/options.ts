import type { HarnessOptions } from './harness.ts';

/**
 * What the controller knows about its cluster and hands to every object builder. Builders are
 * pure: every fact they need (images, class names, where DNS runs, whether Cilium is installed)
 * comes from here, resolved once at start with `resolveObjectOptions`.
 */

/** Pods a policy names by namespace and labels (DNS, the control plane, an allowed service). */
export type PodPeer = {
  namespace: string;
  podLabels: Readonly<Record<string, string>>;
};

/**
 * An in-cluster service a sandbox may reach, resolved by the controller from `namespace/name`
 * (a NetworkPolicy selects pods, not Services): the Service's pod selector and the pods' ports.
 */
export type ServiceEndpoint = PodPeer & {
  /** The Service's name, kept for `toServices`-style rules and for messages. */
  name: string;
  ports: readonly { port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
};

export type ObjectOptions = {
  /** Prefix of Paddock's own label and annotation keys, ending in '/'. */
  labelPrefix: string;
  /** Image of a sandbox whose template names none (a `rootfs` is local only); the chart sets it. */
  defaultImage: string;
  /** What the main container runs when the template has no command: it must not exit. */
  idleCommand: readonly string[];
  /** Shell of the sandbox image, used to hold the main command until the runtime opens the gate. */
  shell: string;
  /** Requests and limits of a sandbox whose template has none (ResourceQuotas require them). */
  defaultResources: { cpu: string; memory: string };
  /** StorageClass of workspace claims; the cluster default when absent. */
  workspaceStorageClass?: string;
  /** Workspace size when neither `workspace.size` nor `resources.storage` is set. */
  defaultWorkspaceSize: string;
  /** Size limits of the writable emptyDirs at /tmp and /home/user. */
  tmpSize: string;
  homeSize: string;
  /** uid and gid the sandbox runs as (never 0). */
  sandboxUid: number;
  /** RuntimeClass names for `isolation: gvisor` and `kata`. */
  runtimeClasses: { gvisor: string; kata: string };
  /** Whether Cilium's CRDs are installed: `allowlist` egress then uses `toFQDNs`. */
  hasCilium: boolean;
  /** The egress proxy of `allowlist` sandboxes on clusters without Cilium. */
  egressProxy: {
    image: string;
    port: number;
    resources: { cpu: string; memory: string };
  };
  /** Where cluster DNS runs. */
  dns: PodPeer;
  /** The Paddock server pods: the only ingress a sandbox accepts (preview proxy, ports). */
  controlPlane: PodPeer;
  /** Services every `allowlist` and `open` sandbox may reach. */
  alwaysAllowedServices: readonly ServiceEndpoint[];
  /**
   * The LLM gateway: the server pods' gateway port (`paddock server --gateway-addr`). The sandbox
   * pod of a run (one labelled `RUN_LABEL`) may reach it and DNS whatever its egress, as a local
   * run's sandbox reaches the gateway host service; no other sandbox pod may. None: not even runs.
   */
  gateway?: ServiceEndpoint;
  /** Quota of an agent namespace whose Agent sets none. */
  defaultAgentQuota: { cpu: string; memory: string; pods: number };
  /**
   * How sandbox pods get the run harness (`harness.ts`): an init container of Paddock's image.
   * None: no harness in pods (runs cannot start their harness there).
   */
  harness?: HarnessOptions;
};

/** Every option is optional on input; nested objects are replaced whole, not merged. */
export type ObjectOptionsInput = Partial<ObjectOptions>;

export const DEFAULT_OBJECT_OPTIONS: ObjectOptions = {
  labelPrefix: 'paddock.dev/',
  // A public image with what the pod runtime needs (a POSIX shell, GNU coreutils and tar,
  // setsid, tail) and glibc for the run harness; templates name their own for more.
  defaultImage: 'debian:bookworm-slim',
  idleCommand: ['sleep', 'infinity'],
  shell: '/bin/sh',
  defaultResources: { cpu: '1', memory: '2Gi' },
  defaultWorkspaceSize: '10Gi',
  tmpSize: '1Gi',
  homeSize: '1Gi',
  sandboxUid: 1000,
  runtimeClasses: { gvisor: 'gvisor', kata: 'kata' },
  hasCilium: false,
  egressProxy: {
    image: 'paddock-egress-proxy:latest',
    port: 3128,
    resources: { cpu: '100m', memory: '64Mi' },
  },
  dns: { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } },
  controlPlane: {
    namespace: 'paddock-system',
    podLabels: { 'app.kubernetes.io/name': 'paddock', 'app.kubernetes.io/component': 'server' },
  },
  alwaysAllowedServices: [],
  gateway: {
    name: 'paddock-gateway',
    namespace: 'paddock-system',
    podLabels: { 'app.kubernetes.io/name': 'paddock', 'app.kubernetes.io/component': 'server' },
    ports: [{ port: 8081 }],
  },
  defaultAgentQuota: { cpu: '8', memory: '16Gi', pods: 20 },
};

/** The options with defaults filled in. Throws on a uid of 0 or a prefix without a final '/'. */
export function resolveObjectOptions(input: ObjectOptionsInput = {}): ObjectOptions {
  const options = { ...DEFAULT_OBJECT_OPTIONS, ...input };
  if (!Number.isInteger(options.sandboxUid) || options.sandboxUid <= 0) {
    throw new RangeError(`sandboxUid must be a positive integer, not ${options.sandboxUid}`);
  }
  if (!options.labelPrefix.endsWith('/')) {
    throw new RangeError(
      `labelPrefix must end with '/', not ${JSON.stringify(options.labelPrefix)}`,
    );
  }
  return options;
}
