// Test support for the authorization tests: one real server (auth required) with five callers and
// the objects they act on. Alice owns a Running sandbox shared with carol, an agent, a finished
// run and a credential; admins made the templates and policies; bob owns nothing of hers.
import assert from 'node:assert/strict';
import { eventually } from '@paddock/testkit';
import { API } from '../test-server.ts';
import { type AuthWorld, startAuthWorld, uniqueName } from '../ws/test-users.ts';

/** Who calls: alice (the owner), bob (another user), carol (alice's sandbox is shared with her). */
export const Role = {
  Owner: 'owner',
  Other: 'other',
  Shared: 'shared',
  Admin: 'admin',
  Anonymous: 'anonymous',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES: readonly Role[] = Object.values(Role);

/** The user id each signed-in role authenticates as. */
export const USER_ID = { owner: 'alice', other: 'bob', shared: 'carol' } as const;

/** The port alice's sandbox serves (raw TCP), for port listing and forwarding. */
export const BOX_PORT = 7000;
/** What alice keeps in her sandbox's workspace. */
export const SECRET_PATH = '/workspace/secret.txt';
export const SECRET_TEXT = 'alice-only\n';

export type CallInit = {
  method?: string;
  body?: unknown;
  bytes?: Uint8Array;
  contentType?: string;
};

export type AuthzWorld = {
  w: AuthWorld;
  tokenOf(role: Role): string | undefined;
  /** A request as `role`; a `body` is sent as JSON, `bytes` as they are. */
  call(role: Role, path: string, init?: CallInit): Promise<Response>;
  /** Like `call`, but asserts the status and returns the parsed JSON body. */
  json<T = JsonValue>(role: Role, path: string, status: number, init?: CallInit): Promise<T>;
  /** Alice's Running sandbox, shared with carol: `SECRET_PATH` in its workspace, `BOX_PORT` served. */
  box: string;
  agent: string;
  /** Alice's task run (inline agent, a sandbox of its own), finished. */
  run: string;
  /** Alice's credential in `default`. */
  credential: string;
  /** Alice's volume (unbounded) and a snapshot of her sandbox, never shared. */
  volume: string;
  snapshot: string;
  /** The id of an API key of alice's. */
  aliceKeyId: string;
  /** Admin-made objects nothing else depends on, for reads and writes of config kinds. */
  config: { clusterTemplate: string; template: string; policy: string; clusterPolicy: string };
  /** A tar archive of `SECRET_PATH`, as downloaded. */
  archive: Uint8Array;
  close(): Promise<void>;
};

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read field by field in assertions.
export type JsonValue = any;

export const NS = 'default';
export const nsPath = (plural: string) => `/api/v1/namespaces/${NS}/${plural}`;

/** A manifest; the namespace comes from the path it is sent to. */
export function manifest(kind: string, name: string, spec: unknown, metadata: object = {}) {
  return { apiVersion: API, kind, metadata: { name, ...metadata }, spec };
}

/** A command-harness agent spec: the agent runs `script` with `sh -c`. */
export const commandAgent = (script: string) => ({
  harness: { kind: 'command', command: ['sh', '-c', script] },
});

export async function startAuthzWorld(): Promise<AuthzWorld> {
  // Every role makes ~100 calls in a burst: the rate limit is not under test here.
  const w = await startAuthWorld({ 'rate-limit': '10000', 'rate-burst': '10000' });
  const { s } = w;
  const tokens: Record<Role, string | undefined> = {
    owner: w.alice,
    other: w.bob,
    shared: '',
    admin: w.admin,
    anonymous: undefined,
  };
  const call = (role: Role, path: string, init: CallInit = {}) =>
    s.call(path, {
      method: init.method ?? 'GET',
      ...(tokens[role] === undefined ? {} : { token: tokens[role] }),
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.bytes === undefined ? {} : { body: init.bytes }),
      ...(init.contentType === undefined ? {} : { headers: { 'content-type': init.contentType } }),
    });
  const json = async <T>(role: Role, path: string, status: number, init?: CallInit) => {
    const res = await call(role, path, init);
    const text = await res.text();
    assert.equal(res.status, status, `${init?.method ?? 'GET'} ${path} as ${role}: ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  const minted = await json<{ key: string }>('admin', '/api/v1/apikeys', 201, {
    method: 'POST',
    body: { name: 'carol', owner: USER_ID.shared, role: 'user' },
  });
  tokens.shared = minted.key;

  const config = {
    clusterTemplate: uniqueName('authz-cst'),
    template: uniqueName('authz-st'),
    policy: uniqueName('authz-policy'),
    clusterPolicy: uniqueName('authz-cpolicy'),
  };
  const shell = { kind: 'ClusterSandboxTemplate', name: 'shell' };
  const boxTemplate = uniqueName('authz-box');
  for (const [path, body] of [
    [
      '/api/v1/clustersandboxtemplates',
      manifest('ClusterSandboxTemplate', config.clusterTemplate, { inheritsFrom: shell }),
    ],
    [
      nsPath('sandboxtemplates'),
      manifest('SandboxTemplate', config.template, { inheritsFrom: shell }),
    ],
    [nsPath('policies'), manifest('Policy', config.policy, {})],
    ['/api/v1/clusterpolicies', manifest('ClusterPolicy', config.clusterPolicy, {})],
    [
      nsPath('sandboxtemplates'),
      manifest('SandboxTemplate', boxTemplate, {
        inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'python' },
        command: ['python3', '-m', 'http.server', String(BOX_PORT), '--directory', '/tmp'],
        ports: [{ name: 'raw', port: BOX_PORT, protocol: 'tcp' }],
      }),
    ],
  ] as const) {
    await json('admin', path, 201, { method: 'POST', body });
  }

  const box = uniqueName('authz-box');
  await json('owner', nsPath('sandboxes'), 201, {
    method: 'POST',
    body: manifest('Sandbox', box, {
      templateRef: { kind: 'SandboxTemplate', name: boxTemplate },
      sharedWith: [USER_ID.shared],
    }),
  });
  await waitForPhase(call, box, 'Running');
  await json('owner', `${nsPath('sandboxes')}/${box}/files?path=${SECRET_PATH}`, 200, {
    method: 'PUT',
    bytes: new TextEncoder().encode(SECRET_TEXT),
    contentType: 'application/octet-stream',
  });
  const downloaded = await call(
    'owner',
    `${nsPath('sandboxes')}/${box}/files/archive?path=${SECRET_PATH}`,
  );
  assert.equal(downloaded.status, 200);
  const archive = new Uint8Array(await downloaded.arrayBuffer());

  const agent = uniqueName('authz-agent');
  await json('owner', nsPath('agents'), 201, {
    method: 'POST',
    body: manifest('Agent', agent, commandAgent('echo done')),
  });
  const run = uniqueName('authz-run');
  await json('owner', nsPath('runs'), 201, {
    method: 'POST',
    // Naming nothing of alice's: a caller who sends this manifest back is refused for the run
    // itself, not for a reference in it.
    body: manifest('Run', run, {
      agent: commandAgent('echo done'),
      prompt: 'hi',
      sandbox: { templateRef: shell },
    }),
  });
  const volume = uniqueName('authz-vol');
  await json('owner', nsPath('volumes'), 201, {
    method: 'POST',
    body: manifest('Volume', volume, {}),
  });
  const snapshot = uniqueName('authz-snap');
  await json('owner', nsPath('sandboxsnapshots'), 201, {
    method: 'POST',
    body: manifest('SandboxSnapshot', snapshot, { sandboxRef: { name: box } }),
  });
  const credential = uniqueName('authz-cred');
  await json('owner', nsPath('credentials'), 201, {
    method: 'POST',
    body: { name: credential, type: 'apiKey', value: 'alice-secret-value' },
  });
  const key = await json<{ apiKey: { id: string } }>('owner', '/api/v1/apikeys', 201, {
    method: 'POST',
    body: { name: 'alice second key' },
  });
  await waitForRunEnd(call, run);
  await waitForPort(call, box);

  return {
    w,
    tokenOf: (role) => tokens[role],
    call,
    json,
    box,
    agent,
    run,
    credential,
    volume,
    snapshot,
    aliceKeyId: key.apiKey.id,
    config,
    archive,
    close: () => s.close(),
  };
}

type Call = AuthzWorld['call'];

export async function waitForPhase(call: Call, sandbox: string, phase: string): Promise<void> {
  const got = await eventually(
    async () => {
      const res = await call('admin', `${nsPath('sandboxes')}/${sandbox}`);
      const got = ((await res.json()) as JsonValue).status?.phase;
      return got === phase || got === 'Error' ? got : undefined;
    },
    { timeoutMs: 60_000, what: `sandbox ${sandbox} ${phase}` },
  );
  assert.equal(got, phase, `sandbox ${sandbox} is in Error`);
}

const ACTIVE_RUN_PHASES = ['Pending', 'Starting', 'Running'];

/** The run once it has an outcome (read as admin). */
export async function waitForRunEnd(call: Call, run: string): Promise<JsonValue> {
  return eventually(
    async () => {
      const got = (await (await call('admin', `${nsPath('runs')}/${run}`)).json()) as JsonValue;
      const phase = got.status?.phase;
      return phase !== undefined && !ACTIVE_RUN_PHASES.includes(phase) ? got : undefined;
    },
    { timeoutMs: 60_000, what: `run ${run} to end` },
  );
}

/** Until something listens on `BOX_PORT` inside the sandbox. */
async function waitForPort(call: Call, sandbox: string): Promise<void> {
  const probe = `import socket; socket.create_connection(("127.0.0.1", ${BOX_PORT}), 1)`;
  await eventually(
    async () => {
      const res = await call('owner', `${nsPath('sandboxes')}/${sandbox}/exec`, {
        method: 'POST',
        body: { command: ['python3', '-c', probe] },
      });
      return ((await res.json()) as JsonValue).exitCode === 0;
    },
    { timeoutMs: 30_000, what: `port ${BOX_PORT} listening in ${sandbox}` },
  );
}
