/**
 * The run harness in a sandbox pod. A sandbox image carries no Paddock: an init container of
 * Paddock's own image (the controller's and the server's) copies the harness — a Node.js binary,
 * `paddock-agent` and the packages it loads, and the external CLIs asked for — into an emptyDir,
 * which the sandbox container mounts read-only at `HARNESS_PATH`. A run's exec then starts
 * `HARNESS_PATH/node/bin/node HARNESS_PATH/app/packages/agent/src/main.ts …`, the same argv as
 * on one machine, where the local runtime binds the host's harness at the same path.
 *
 * The init container runs `paddock controller copy-harness`: it is hardened like every Paddock
 * container (non-root as the sandbox's uid, read-only root file system, no capabilities) and
 * writes only the emptyDir.
 */
import { addQuantity, formatQuantity, parseQuantity } from '@paddock/core';
import { containerSecurityContext } from './hardening.ts';
import type { Container, Volume, VolumeMount } from './kube-types.ts';

/** Where the harness is in the sandbox container (read-only), as on one machine. */
export const HARNESS_PATH = '/opt/paddock';
/** Where the init container writes it (another path: the image may use /opt/paddock itself). */
export const HARNESS_COPY_PATH = '/paddock-harness';
export const HARNESS_VOLUME = 'harness';
export const HARNESS_CONTAINER = 'harness';

/** The harness's files relative to its root, as the copy writes them and runs find them. */
export const HARNESS_LAYOUT = {
  node: 'node/bin/node',
  packages: 'app/packages',
  nodeModules: 'app/node_modules',
  agentMain: 'app/packages/agent/src/main.ts',
} as const;

/** The external agent CLIs the copy may add beside the built-in harness. */
export const HarnessCli = {
  ClaudeCode: 'claude-code',
  Codex: 'codex',
  OpenCode: 'opencode',
} as const;
export type HarnessCli = (typeof HarnessCli)[keyof typeof HarnessCli];

/** How sandbox pods get the harness (`ObjectOptions.harness`). */
export type HarnessOptions = {
  /** Paddock's own image: the one `paddock install` runs the controller and the server with. */
  image: string;
  pullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** The external CLIs copied beside the built-in harness (Codex and OpenCode are large). */
  clis: readonly HarnessCli[];
  /** The emptyDir's size limit (the copy is about 300 MiB with Claude Code, 1.1 GiB with all). */
  size: string;
  /** The init container's requests and limits (agent-namespace quotas demand them). */
  resources: { cpu: string; memory: string };
};

export const DEFAULT_HARNESS: Omit<HarnessOptions, 'image'> = {
  pullPolicy: 'IfNotPresent',
  clis: [HarnessCli.ClaudeCode],
  size: '1Gi',
  resources: { cpu: '500m', memory: '256Mi' },
};

/** The paths a run's harness plan uses inside a sandbox pod. */
export const SANDBOX_HARNESS_PATHS = {
  node: `${HARNESS_PATH}/${HARNESS_LAYOUT.node}`,
  agentMain: `${HARNESS_PATH}/${HARNESS_LAYOUT.agentMain}`,
} as const;

/** The command of the init container: Paddock's CLI copying its own harness. */
export function harnessCopyCommand(harness: HarnessOptions): string[] {
  return [
    'paddock',
    'controller',
    'copy-harness',
    `--to=${HARNESS_COPY_PATH}`,
    ...(harness.clis.length === 0 ? [] : [`--clis=${harness.clis.join(',')}`]),
  ];
}

/** The init container, the emptyDir and the sandbox container's read-only mount of it. */
export function harnessParts(
  harness: HarnessOptions,
  sandboxUid: number,
): { initContainer: Container; volume: Volume; mount: VolumeMount } {
  const amounts = { cpu: harness.resources.cpu, memory: harness.resources.memory };
  return {
    initContainer: {
      name: HARNESS_CONTAINER,
      image: harness.image,
      imagePullPolicy: harness.pullPolicy,
      command: harnessCopyCommand(harness),
      resources: { requests: { ...amounts }, limits: { ...amounts } },
      // As the sandbox's uid: the copied files are the sandbox's, mounted read-only.
      securityContext: containerSecurityContext(sandboxUid),
      volumeMounts: [{ name: HARNESS_VOLUME, mountPath: HARNESS_COPY_PATH }],
    },
    volume: { name: HARNESS_VOLUME, emptyDir: { sizeLimit: harness.size } },
    mount: { name: HARNESS_VOLUME, mountPath: HARNESS_PATH, readOnly: true },
  };
}

/** `ephemeral` plus the harness's emptyDir, which counts against the pod's ephemeral storage. */
export function withHarnessStorage(ephemeral: string, harness: HarnessOptions | undefined) {
  if (harness === undefined) return ephemeral;
  return formatQuantity(addQuantity(parseQuantity(ephemeral), parseQuantity(harness.size)));
}
