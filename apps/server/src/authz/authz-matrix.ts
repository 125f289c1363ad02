// Who may do what: the expected outcome of every REST operation for each caller, written once.
// Keyed by operationId (`ROUTES` of @paddock/api); a key `operationId:variant` is a second case of
// the same operation (another namespace, another body). How each case is called on which object
// is in authz-requests.ts, under the same keys.
//
// The objects are alice's (owner): a Sandbox shared with carol (shared), an Agent, a Run, a
// Credential, an API key; templates and policies are admin-made. Bob (other) owns none of them.
import type { Role } from './authz-fixtures.ts';

export type Outcome = { status: number; code?: string };
export type Expect = Readonly<Record<Role, Outcome>>;
/** For list operations: whose answer includes alice's object (anonymous is refused anyway). */
export type Listed = Readonly<Record<Exclude<Role, 'anonymous'>, boolean>>;
export type Row = { expect: Expect; listed?: Listed };

const ok = (status: 101 | 200 | 201 | 202 | 204): Outcome => ({ status });
const UNAUTHENTICATED: Outcome = { status: 401, code: 'unauthenticated' };
const FORBIDDEN: Outcome = { status: 403, code: 'forbidden' };
/** Never 403 for an object the caller may not see: its existence is not revealed. */
const NOT_FOUND: Outcome = { status: 404, code: 'not_found' };
/** Authorised, but refused for the object's state (a task run takes no input). */
const WRONG_STATE: Outcome = { status: 409, code: 'invalid_transition' };

/** No token needed: probes, metrics, discovery. */
const open = (status: 200): Row => ({
  expect: {
    owner: ok(status),
    other: ok(status),
    shared: ok(status),
    admin: ok(status),
    anonymous: ok(status),
  },
});
/** Any signed-in caller. */
const anyone = (status: 200 | 201, listed?: Listed): Row => ({
  expect: {
    owner: ok(status),
    other: ok(status),
    shared: ok(status),
    admin: ok(status),
    anonymous: UNAUTHENTICATED,
  },
  ...(listed === undefined ? {} : { listed }),
});
/** Writing templates and policies. */
const adminOnly = (status: 200 | 201): Row => ({
  expect: {
    owner: FORBIDDEN,
    other: FORBIDDEN,
    shared: FORBIDDEN,
    admin: ok(status),
    anonymous: UNAUTHENTICATED,
  },
});
/** The cluster views: users are refused; an admin reaches them, on a server without Kubernetes to say so. */
const clusterView = (): Row => ({
  expect: {
    owner: FORBIDDEN,
    other: FORBIDDEN,
    shared: FORBIDDEN,
    admin: { status: 503, code: 'runtime_unavailable' },
    anonymous: UNAUTHENTICATED,
  },
});
/** Using alice's sandbox: she, carol (shared with) and admins; bob does not see it. */
const use = (status: 101 | 200 | 201 | 204): Row => ({
  expect: {
    owner: ok(status),
    other: NOT_FOUND,
    shared: ok(status),
    admin: ok(status),
    anonymous: UNAUTHENTICATED,
  },
});
/** Changing, stopping or deleting alice's sandbox: carol may use it, not manage it. */
const manage = (status: 200): Row => ({
  expect: {
    owner: ok(status),
    other: NOT_FOUND,
    shared: FORBIDDEN,
    admin: ok(status),
    anonymous: UNAUTHENTICATED,
  },
});
/** Alice's unshared objects (agents, runs, credentials, keys): she and admins only. */
const ownerOnly = (outcome: Outcome): Row => ({
  expect: {
    owner: outcome,
    other: NOT_FOUND,
    shared: NOT_FOUND,
    admin: outcome,
    anonymous: UNAUTHENTICATED,
  },
});

const SEEN_WHEN_SHARED: Listed = { owner: true, other: false, shared: true, admin: true };
const SEEN_BY_OWNER: Listed = { owner: true, other: false, shared: false, admin: true };

export const AUTHZ_MATRIX: Readonly<Record<string, Row>> = {
  // Templates and policies: everyone reads, admins write.
  listClusterSandboxTemplate: anyone(200),
  createClusterSandboxTemplate: adminOnly(201),
  getClusterSandboxTemplate: anyone(200),
  replaceClusterSandboxTemplate: adminOnly(200),
  applyClusterSandboxTemplate: adminOnly(200),
  deleteClusterSandboxTemplate: adminOnly(200),
  resolveClusterSandboxTemplate: anyone(200),
  listSandboxTemplate: anyone(200),
  listSandboxTemplateForAllNamespaces: anyone(200),
  createSandboxTemplate: adminOnly(201),
  getSandboxTemplate: anyone(200),
  replaceSandboxTemplate: adminOnly(200),
  applySandboxTemplate: adminOnly(200),
  deleteSandboxTemplate: adminOnly(200),
  resolveSandboxTemplate: anyone(200),
  listPolicy: anyone(200),
  listPolicyForAllNamespaces: anyone(200),
  createPolicy: adminOnly(201),
  getPolicy: anyone(200),
  replacePolicy: adminOnly(200),
  applyPolicy: adminOnly(200),
  deletePolicy: adminOnly(200),
  listClusterPolicy: anyone(200),
  createClusterPolicy: adminOnly(201),
  getClusterPolicy: anyone(200),
  replaceClusterPolicy: adminOnly(200),
  applyClusterPolicy: adminOnly(200),
  deleteClusterPolicy: adminOnly(200),
  getEffectivePolicy: anyone(200),
  checkSandboxPolicy: anyone(200),

  // Alice's sandbox.
  listSandbox: anyone(200, SEEN_WHEN_SHARED),
  listSandboxForAllNamespaces: anyone(200, SEEN_WHEN_SHARED),
  createSandbox: anyone(201),
  getSandbox: use(200),
  replaceSandbox: manage(200),
  applySandbox: manage(200),
  deleteSandbox: manage(200),
  stopSandbox: manage(200),
  startSandbox: manage(200),
  pauseSandbox: manage(200),
  resumeSandbox: manage(200),
  execSandbox: use(200),
  execSandboxStream: use(200),
  readSandboxFile: use(200),
  writeSandboxFile: use(200),
  deleteSandboxFile: use(204),
  listSandboxFiles: use(200),
  statSandboxFile: use(200),
  makeSandboxDirectory: use(201),
  moveSandboxFile: use(200),
  downloadSandboxArchive: use(200),
  createSandboxDownloadLink: use(200),
  // A link needs no header: each caller opens one it signed; anonymous, one of alice's; bob, who
  // may sign none, one forged from hers.
  downloadSandboxFileByLink: {
    expect: {
      owner: ok(200),
      other: FORBIDDEN,
      shared: ok(200),
      admin: ok(200),
      anonymous: ok(200),
    },
  },
  uploadSandboxArchive: use(204),
  listSandboxPorts: use(200),
  getSandboxLogs: use(200),
  listSandboxEvents: use(200),
  listSandboxProcesses: use(200),
  startSandboxProcess: use(201),
  getSandboxProcess: use(200),
  followSandboxProcess: use(200),
  killSandboxProcess: use(200),

  // Alice's agent and run: never shared.
  listAgent: anyone(200, SEEN_BY_OWNER),
  listAgentForAllNamespaces: anyone(200, SEEN_BY_OWNER),
  createAgent: anyone(201),
  getAgent: ownerOnly(ok(200)),
  replaceAgent: ownerOnly(ok(200)),
  applyAgent: ownerOnly(ok(200)),
  deleteAgent: ownerOnly(ok(200)),
  listRun: anyone(200, SEEN_BY_OWNER),
  listRunForAllNamespaces: anyone(200, SEEN_BY_OWNER),
  createRun: anyone(201),
  getRun: ownerOnly(ok(200)),
  replaceRun: ownerOnly(ok(200)),
  applyRun: ownerOnly(ok(200)),
  deleteRun: ownerOnly(ok(200)),
  listRunEvents: ownerOnly(ok(200)),
  sendRunMessage: ownerOnly(WRONG_STATE),
  endRunInput: ownerOnly(WRONG_STATE),
  cancelRun: ownerOnly(ok(200)),

  // Alice's volume and snapshot: never shared. A snapshot names a sandbox: carol may snapshot
  // the one shared with her; an admin, acting as itself, may not use alice's (forbidden).
  listVolume: anyone(200, SEEN_BY_OWNER),
  listVolumeForAllNamespaces: anyone(200, SEEN_BY_OWNER),
  createVolume: anyone(201),
  getVolume: ownerOnly(ok(200)),
  replaceVolume: ownerOnly(ok(200)),
  applyVolume: ownerOnly(ok(200)),
  deleteVolume: ownerOnly(ok(200)),
  listSandboxSnapshot: anyone(200, SEEN_BY_OWNER),
  listSandboxSnapshotForAllNamespaces: anyone(200, SEEN_BY_OWNER),
  createSandboxSnapshot: {
    expect: {
      owner: ok(201),
      other: NOT_FOUND,
      shared: ok(201),
      admin: FORBIDDEN,
      anonymous: UNAUTHENTICATED,
    },
  },
  getSandboxSnapshot: ownerOnly(ok(200)),
  replaceSandboxSnapshot: ownerOnly(ok(200)),
  applySandboxSnapshot: ownerOnly(ok(200)),
  deleteSandboxSnapshot: ownerOnly(ok(200)),

  // Credentials: anyone stores their own in `default`; `paddock-system` holds the gateway's keys.
  createCredential: anyone(201),
  'createCredential:paddock-system': adminOnly(201),
  listCredentials: anyone(200, SEEN_BY_OWNER),
  getCredential: ownerOnly(ok(200)),
  deleteCredential: ownerOnly(ok(200)),

  // API keys: one's own; only admins mint admin keys.
  createApiKey: anyone(201),
  'createApiKey:admin-role': adminOnly(201),
  listApiKeys: anyone(200, SEEN_BY_OWNER),
  revokeApiKey: ownerOnly(ok(200)),

  // The rest: every signed-in caller; users' audit holds only their own actions.
  listAuditRecords: anyone(200, SEEN_BY_OWNER),
  getUsage: anyone(200),
  listWarmPools: anyone(200),
  getCurrentUser: anyone(200),
  listKinds: anyone(200),
  getOpenApiDocument: open(200),
  getAuthConfig: open(200),
  getHealth: open(200),
  getReadiness: open(200),
  getMetrics: open(200),

  // Views of the cluster: admins only; this server runs on no cluster, so an admin hears that.
  getClusterInfo: anyone(200),
  listClusterNamespaces: clusterView(),
  listClusterPods: clusterView(),
  listClusterServices: clusterView(),
  listClusterEvents: clusterView(),
  getClusterPodLogs: clusterView(),
};

/**
 * Streams outside the route table, on alice's objects: WebSocket upgrades (101 = opened) and
 * server-sent event streams of a sandbox or run.
 */
export const STREAM_MATRIX = {
  terminal: use(101),
  portForward: use(101),
  sandboxEventsWatch: use(200),
  sandboxLogsFollow: use(200),
  runEventsWatch: ownerOnly(ok(200)),
} as const satisfies Readonly<Record<string, Row>>;

/** The operationId of a matrix key (`createCredential:paddock-system` → `createCredential`). */
export const operationOf = (key: string): string => key.split(':')[0] ?? key;
