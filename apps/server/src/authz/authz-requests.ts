// How each case of the matrix is called: path parameters, query and body per caller, keyed like
// AUTHZ_MATRIX. Method and path come from the route table; a destructive case makes a fresh
// object for each caller first (authz-fresh.ts).
import { uniqueName } from '../ws/test-users.ts';
import {
  type AuthzWorld,
  commandAgent,
  type JsonValue,
  manifest,
  nsPath,
  type Role,
  SECRET_PATH,
  USER_ID,
} from './authz-fixtures.ts';
import {
  configManifest,
  currentManifest,
  freshAgent,
  freshConfig,
  freshCredential,
  freshKey,
  freshRun,
  freshSandbox,
  freshSnapshot,
  freshVolume,
} from './authz-fresh.ts';

export type CallSpec = {
  /** Path parameters; `namespace` defaults to `default`. */
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** A JSON body. */
  body?: unknown;
  /** A binary body. */
  bytes?: Uint8Array;
};

export type Request = {
  make(fx: AuthzWorld, role: Role): Promise<CallSpec>;
  /** List cases: whether the answer includes alice's object. */
  includes?(body: JsonValue, fx: AuthzWorld): boolean;
};

const fixed = (spec: (fx: AuthzWorld, role: Role) => CallSpec): Request => ({
  make: async (fx, role) => spec(fx, role),
});
const NONE = fixed(() => ({}));
const named = (name: (fx: AuthzWorld) => string) => fixed((fx) => ({ params: { name: name(fx) } }));
const hasItemNamed = (name: (fx: AuthzWorld) => string) => (body: JsonValue, fx: AuthzWorld) =>
  (body.items as JsonValue[]).some((item) => item.metadata?.name === name(fx));

type ConfigKind = 'ClusterSandboxTemplate' | 'SandboxTemplate' | 'Policy' | 'ClusterPolicy';

/** CRUD of a template or policy kind, on the admin-made object `name`. */
function configRequests(kind: ConfigKind, plural: string, name: (fx: AuthzWorld) => string) {
  const isCluster = kind.startsWith('Cluster');
  const collection = isCluster ? `/api/v1/${plural}` : nsPath(plural);
  const sameAgain: Request = {
    make: async (fx) => ({
      params: { name: name(fx) },
      body: await currentManifest(fx, `${collection}/${name(fx)}`),
    }),
  };
  return {
    [`list${kind}`]: NONE,
    ...(isCluster ? {} : { [`list${kind}ForAllNamespaces`]: NONE }),
    [`create${kind}`]: fixed((_fx, role) => ({
      body: configManifest(kind, uniqueName(`authz-${role}`)),
    })),
    [`get${kind}`]: named(name),
    [`replace${kind}`]: sameAgain,
    [`apply${kind}`]: sameAgain,
    [`delete${kind}`]: {
      make: async (fx, role) => ({
        params: { name: await freshConfig(fx, role, kind, collection) },
      }),
    },
  } satisfies Record<string, Request>;
}

/** CRUD of an owned kind on alice's `name`; `fresh` makes one of alice's per caller to delete. */
function ownedRequests(
  kind: 'Sandbox' | 'Agent' | 'Run' | 'Volume' | 'SandboxSnapshot',
  plural: string,
  name: (fx: AuthzWorld) => string,
  createSpec: () => unknown,
  fresh: (fx: AuthzWorld, role: Role) => Promise<string>,
) {
  const sameAgain: Request = {
    make: async (fx) => ({
      params: { name: name(fx) },
      body: await currentManifest(fx, `${nsPath(plural)}/${name(fx)}`),
    }),
  };
  const list: Request = { ...NONE, includes: hasItemNamed(name) };
  return {
    [`list${kind}`]: list,
    [`list${kind}ForAllNamespaces`]: list,
    [`create${kind}`]: fixed((_fx, role) => ({
      body: manifest(kind, uniqueName(`authz-${role}`), createSpec()),
    })),
    [`get${kind}`]: named(name),
    [`replace${kind}`]: sameAgain,
    [`apply${kind}`]: sameAgain,
    [`delete${kind}`]: { make: async (fx, role) => ({ params: { name: await fresh(fx, role) } }) },
  } satisfies Record<string, Request>;
}

const SHELL = { kind: 'ClusterSandboxTemplate', name: 'shell' };
const onBox = (spec: Omit<CallSpec, 'params'> = {}) =>
  fixed((fx) => ({ params: { name: fx.box }, ...spec }));
const onFreshSandbox: Request = {
  make: async (fx, role) => ({ params: { name: await freshSandbox(fx, role) } }),
};
const text = (value: string) => new TextEncoder().encode(value);

/** Starts a background process of alice's in her sandbox, for a case about it. */
async function aliceProcess(fx: AuthzWorld, id: string, command: string[]): Promise<CallSpec> {
  await fx.json('owner', `${nsPath('sandboxes')}/${fx.box}/processes`, 201, {
    method: 'POST',
    body: { command, processId: id },
  });
  return { params: { name: fx.box, processId: id } };
}

/** Writes a file of alice's in her sandbox, for a case that deletes or moves it. */
async function aliceFile(fx: AuthzWorld, path: string): Promise<string> {
  await fx.json('owner', `${nsPath('sandboxes')}/${fx.box}/files?path=${path}`, 200, {
    method: 'PUT',
    bytes: text('x'),
    contentType: 'application/octet-stream',
  });
  return path;
}

/** A download link of `SECRET_PATH` signed by `role` (alice's for anonymous; forged for bob). */
async function downloadLink(fx: AuthzWorld, role: Role): Promise<CallSpec> {
  const signer = role === 'other' || role === 'anonymous' ? 'owner' : role;
  const { url } = await fx.json<{ url: string }>(
    signer,
    `${nsPath('sandboxes')}/${fx.box}/files/download-link`,
    200,
    { method: 'POST', body: { path: SECRET_PATH } },
  );
  const token = new URL(url, 'http://paddock.invalid').searchParams.get('token') ?? '';
  const [claims, mac = ''] = token.split('.');
  const forged = `${claims}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
  return { params: { name: fx.box }, query: { token: role === 'other' ? forged : token } };
}

export const AUTHZ_REQUESTS: Readonly<Record<string, Request>> = {
  ...configRequests(
    'ClusterSandboxTemplate',
    'clustersandboxtemplates',
    (fx) => fx.config.clusterTemplate,
  ),
  resolveClusterSandboxTemplate: named((fx) => fx.config.clusterTemplate),
  ...configRequests('SandboxTemplate', 'sandboxtemplates', (fx) => fx.config.template),
  resolveSandboxTemplate: named((fx) => fx.config.template),
  ...configRequests('Policy', 'policies', (fx) => fx.config.policy),
  ...configRequests('ClusterPolicy', 'clusterpolicies', (fx) => fx.config.clusterPolicy),
  getEffectivePolicy: NONE,
  checkSandboxPolicy: fixed(() => ({
    body: manifest('Sandbox', 'dry-run', { templateRef: SHELL }),
  })),

  ...ownedRequests(
    'Sandbox',
    'sandboxes',
    (fx) => fx.box,
    () => ({ templateRef: SHELL, desiredState: 'Stopped' }),
    freshSandbox,
  ),
  stopSandbox: onFreshSandbox,
  startSandbox: onFreshSandbox,
  pauseSandbox: onFreshSandbox,
  resumeSandbox: onFreshSandbox,
  execSandbox: onBox({ body: { command: ['true'] } }),
  execSandboxStream: onBox({ body: { command: ['true'] } }),
  readSandboxFile: onBox({ query: { path: SECRET_PATH } }),
  writeSandboxFile: fixed((fx, role) => ({
    params: { name: fx.box },
    query: { path: `/workspace/authz/write-${role}.txt` },
    bytes: text(role),
  })),
  deleteSandboxFile: {
    make: async (fx, role) => ({
      params: { name: fx.box },
      query: { path: await aliceFile(fx, `/workspace/authz/delete-${role}.txt`) },
    }),
  },
  listSandboxFiles: onBox({ query: { path: '/workspace' } }),
  statSandboxFile: onBox({ query: { path: SECRET_PATH } }),
  makeSandboxDirectory: fixed((fx, role) => ({
    params: { name: fx.box },
    body: { path: `/workspace/authz/dir-${role}` },
  })),
  moveSandboxFile: {
    make: async (fx, role) => ({
      params: { name: fx.box },
      body: {
        from: await aliceFile(fx, `/workspace/authz/move-${role}.txt`),
        to: `/workspace/authz/moved-${role}.txt`,
      },
    }),
  },
  downloadSandboxArchive: onBox({ query: { path: SECRET_PATH } }),
  createSandboxDownloadLink: onBox({ body: { path: SECRET_PATH } }),
  downloadSandboxFileByLink: { make: downloadLink },
  uploadSandboxArchive: fixed((fx, role) => ({
    params: { name: fx.box },
    query: { path: `/workspace/authz/upload-${role}` },
    bytes: fx.archive,
  })),
  listSandboxPorts: onBox(),
  getSandboxLogs: onBox(),
  listSandboxEvents: onBox(),
  listSandboxProcesses: onBox(),
  startSandboxProcess: fixed((fx, role) => ({
    params: { name: fx.box },
    body: { command: ['true'], processId: `start-${role}` },
  })),
  getSandboxProcess: { make: (fx, role) => aliceProcess(fx, `get-${role}`, ['true']) },
  followSandboxProcess: { make: (fx, role) => aliceProcess(fx, `follow-${role}`, ['true']) },
  killSandboxProcess: { make: (fx, role) => aliceProcess(fx, `kill-${role}`, ['sleep', '600']) },

  ...ownedRequests(
    'Agent',
    'agents',
    (fx) => fx.agent,
    () => commandAgent('true'),
    freshAgent,
  ),
  ...ownedRequests(
    'Run',
    'runs',
    (fx) => fx.run,
    () => ({ agent: commandAgent('true'), prompt: 'x', sandbox: { templateRef: SHELL } }),
    (fx, role) => freshRun(fx, role, 'true'),
  ),
  listRunEvents: named((fx) => fx.run),
  ...ownedRequests(
    'Volume',
    'volumes',
    (fx) => fx.volume,
    () => ({}),
    freshVolume,
  ),
  ...ownedRequests(
    'SandboxSnapshot',
    'sandboxsnapshots',
    (fx) => fx.snapshot,
    () => ({}),
    freshSnapshot,
  ),
  // A snapshot of alice's sandbox: each caller with its own rights on the sandbox it names.
  createSandboxSnapshot: fixed((fx, role) => ({
    body: manifest('SandboxSnapshot', uniqueName(`authz-${role}`), {
      sandboxRef: { name: fx.box },
    }),
  })),
  sendRunMessage: fixed((fx) => ({ params: { name: fx.run }, body: { text: 'hi' } })),
  endRunInput: named((fx) => fx.run),
  cancelRun: {
    make: async (fx, role) => ({ params: { name: await freshRun(fx, role, 'sleep 120') } }),
  },

  createCredential: fixed((_fx, role) => ({
    body: { name: uniqueName(`authz-${role}`), type: 'env', value: 'v' },
  })),
  'createCredential:paddock-system': fixed((_fx, role) => ({
    params: { namespace: 'paddock-system' },
    body: { name: uniqueName(`authz-${role}`), type: 'apiKey', value: 'v' },
  })),
  listCredentials: {
    ...NONE,
    includes: (body, fx) => (body.items as JsonValue[]).some((c) => c.name === fx.credential),
  },
  getCredential: named((fx) => fx.credential),
  deleteCredential: {
    make: async (fx, role) => ({ params: { name: await freshCredential(fx, role) } }),
  },

  createApiKey: fixed(() => ({ body: { name: 'own key' } })),
  'createApiKey:admin-role': fixed(() => ({ body: { name: 'admin key', role: 'admin' } })),
  listApiKeys: {
    ...NONE,
    includes: (body, fx) => (body.items as JsonValue[]).some((k) => k.id === fx.aliceKeyId),
  },
  revokeApiKey: { make: async (fx, role) => ({ params: { id: await freshKey(fx, role) } }) },

  // Asking for alice's records: a user's filter is their own id, whatever they ask.
  listAuditRecords: {
    ...fixed(() => ({ query: { actor: USER_ID.owner } })),
    includes: (body) => (body.items as JsonValue[]).some((r) => r.actor === USER_ID.owner),
  },
  getUsage: NONE,
  listWarmPools: NONE,
  getCurrentUser: NONE,
  listKinds: NONE,
  getOpenApiDocument: NONE,
  getAuthConfig: NONE,
  getHealth: NONE,
  getReadiness: NONE,
  getMetrics: NONE,
  getClusterInfo: NONE,
  listClusterNamespaces: NONE,
  listClusterPods: NONE,
  listClusterServices: NONE,
  listClusterEvents: NONE,
  getClusterPodLogs: named(() => 'some-pod'),
};
