import {
  API_VERSION,
  type ClusterSandboxTemplate,
  isPaddockError,
  type ResourceStore,
} from '@paddock/core';

const OVERRIDABLE = [
  'command',
  'env',
  'resources',
  'timeout',
  'idleTimeout',
  'files',
  'init',
] as const;

function template(name: string, spec: ClusterSandboxTemplate['spec']): ClusterSandboxTemplate {
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterSandboxTemplate',
    metadata: { name, labels: { 'paddock.dev/builtin': 'true' } },
    spec,
  };
}

/**
 * Templates shipped with `paddock up`, so a new user can create a sandbox at once. They use the
 * host's read-only system view (no image to pull, no network needed to provision).
 */
export const BUILTIN_TEMPLATES: readonly ClusterSandboxTemplate[] = [
  template('shell', {
    description: 'A minimal POSIX shell sandbox: no network, 512Mi, 1 CPU',
    workingDir: '/workspace',
    resources: { cpu: '1', memory: '512Mi', pids: 256 },
    network: { egress: 'none' },
    idleTimeout: '1h',
    overridable: [...OVERRIDABLE],
  }),
  template('python', {
    inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'shell' },
    description: "Python 3 from the host's system view; no network",
    env: [
      { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
      { name: 'PYTHONUNBUFFERED', value: '1' },
    ],
    resources: { cpu: '2', memory: '1Gi', pids: 512 },
  }),
  template('node', {
    inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'shell' },
    description: "Node.js from the host's system view; no network",
    env: [{ name: 'NODE_ENV', value: 'development' }],
    resources: { cpu: '2', memory: '1Gi', pids: 512 },
  }),
  template('base', {
    description:
      "E2B's default template, laid out like E2B's: user `user` with home /home/user, bash and python3 from the host's system view; no network unless asked (allowInternetAccess) and the policy allows",
    workingDir: '/home/user',
    resources: { cpu: '2', memory: '512Mi', pids: 512 },
    network: { egress: 'none' },
    env: [{ name: 'PYTHONUNBUFFERED', value: '1' }],
    overridable: [...OVERRIDABLE, 'network'],
  }),
  template('agent', {
    inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'shell' },
    description:
      'For coding agents: more memory and time, no direct network (models are reached through the Paddock gateway)',
    resources: { cpu: '2', memory: '2Gi', pids: 1024 },
    // No interfaces: the egress proxy reaches the gateway (a host service) and nothing else.
    network: { egress: 'allowlist', allowedDomains: [] },
    timeout: '4h',
    idleTimeout: '30m',
  }),
];

/** Creates each built-in template that is missing; one that exists (maybe edited) is left alone. */
export async function ensureBuiltinTemplates(store: ResourceStore): Promise<string[]> {
  const created: string[] = [];
  for (const manifest of BUILTIN_TEMPLATES) {
    try {
      await store.create(manifest);
      created.push(manifest.metadata.name ?? '');
    } catch (error) {
      if (!isPaddockError(error, 'already_exists')) throw error;
    }
  }
  return created;
}
