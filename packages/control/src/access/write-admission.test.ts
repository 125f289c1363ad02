// Admission of writes with the caller's rights, on a real SQLite store and credential store.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AnyResource, isPaddockError, Role } from '@paddock/core';
import {
  openSqliteCredentialStore,
  openSqliteStore,
  type SqliteCredentialStore,
  type SqliteStore,
} from '@paddock/store-sqlite';
import { OWNER_ANNOTATION } from '../admission.ts';
import { type Principal, PrincipalVia } from '../auth/principal.ts';
import { requireManageable } from './ownership.ts';
import { admitWrite, withOwner } from './write-admission.ts';

const v = 'paddock.dev/v1alpha1';
const user = (id: string): Principal => ({ id, roles: [Role.User], via: PrincipalVia.ApiKey });
const alice = user('alice');
const bob = user('bob');
const carol = user('carol');
const admin: Principal = { id: 'root', roles: [Role.Admin], via: PrincipalVia.ApiKey };
const owned = (owner: string) => ({
  namespace: 'default',
  annotations: { [OWNER_ANNOTATION]: owner },
});

const run = (name: string, spec: Record<string, unknown>, owner?: string): AnyResource =>
  ({
    apiVersion: v,
    kind: 'Run',
    metadata: {
      name,
      namespace: 'default',
      ...(owner ? { annotations: { [OWNER_ANNOTATION]: owner } } : {}),
    },
    spec: { prompt: 'go', mode: 'task', ...spec },
  }) as AnyResource;
const commandAgent = { harness: { kind: 'command', command: ['true'] } };

/** The error code a promise rejects with, or `admitted`. */
async function outcome(admission: Promise<void>): Promise<string> {
  try {
    await admission;
    return 'admitted';
  } catch (error) {
    if (!isPaddockError(error)) throw error;
    return `${error.code}${typeof error.details?.field === 'string' ? ` ${error.details.field}` : ''}`;
  }
}

describe('write admission: references and ownership', () => {
  let home: string;
  let store: SqliteStore;
  let credentials: SqliteCredentialStore;
  let deps: Parameters<typeof admitWrite>[0];
  const admit = (principal: Principal, resource: AnyResource, current?: AnyResource) =>
    outcome(admitWrite(deps, principal, withOwner(principal, resource, current), current));

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'paddock-admission-'));
    store = await openSqliteStore({ path: join(home, 'paddock.db') });
    credentials = await openSqliteCredentialStore({
      path: join(home, 'paddock.db'),
      keyFile: join(home, 'credentials.key'),
    });
    deps = {
      store,
      credentials,
      spentToday: async () => ({ userSpentTodayUsd: 0, namespaceSpentTodayUsd: 0 }),
    };
    await store.create({
      apiVersion: v,
      kind: 'Sandbox',
      metadata: { name: 'box', ...owned('alice') },
      spec: { templateRef: { name: 'shell' }, desiredState: 'Running', sharedWith: ['carol'] },
    });
    await store.create({
      apiVersion: v,
      kind: 'Agent',
      metadata: { name: 'helper', ...owned('alice') },
      spec: { harness: { kind: 'command', command: ['true'] } },
    });
    const now = new Date().toISOString();
    await credentials.put(
      {
        name: 'token',
        namespace: 'default',
        type: 'env',
        owner: 'alice',
        createdAt: now,
        updatedAt: now,
      },
      new TextEncoder().encode('secret'),
    );
  });
  after(async () => {
    await credentials.close();
    await store.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("refuses another user's sandbox and agent as not_found, naming the field", async () => {
    assert.equal(
      await admit(bob, run('r1', { agent: commandAgent, sandbox: { name: 'box' } })),
      'not_found spec.sandbox.name',
    );
    assert.equal(
      await admit(bob, run('r2', { agentRef: { name: 'helper' } })),
      'not_found spec.agentRef.name',
    );
    // A missing object answers exactly like an invisible one.
    assert.equal(
      await admit(bob, run('r3', { agent: commandAgent, sandbox: { name: 'nowhere' } })),
      'not_found spec.sandbox.name',
    );
  });

  it('lets the owner, a shared user (sandbox only) and an admin acting for the owner through', async () => {
    assert.equal(
      await admit(alice, run('r4', { agentRef: { name: 'helper' }, sandbox: { name: 'box' } })),
      'admitted',
    );
    assert.equal(
      await admit(carol, run('r5', { agent: commandAgent, sandbox: { name: 'box' } })),
      'admitted',
    );
    assert.equal(
      await admit(carol, run('r6', { agentRef: { name: 'helper' } })),
      'not_found spec.agentRef.name',
    );
    assert.equal(
      await admit(admin, run('r7', { agentRef: { name: 'helper' } }, 'alice')),
      'admitted',
    );
    // An admin's run in its own name acts as the admin, who owns neither.
    assert.equal(
      await admit(admin, run('r8', { agent: commandAgent, sandbox: { name: 'box' } })),
      'forbidden spec.sandbox.name',
    );
  });

  it("refuses another user's credential in an agent, a run's inline agent and a sandbox's overrides", async () => {
    const agent = {
      apiVersion: v,
      kind: 'Agent',
      metadata: { name: 'thief', namespace: 'default' },
      spec: { ...commandAgent, credentials: [{ name: 'token', as: 'env', env: 'TOKEN' }] },
    } as AnyResource;
    assert.equal(await admit(bob, agent), 'not_found spec.credentials[0].name');
    assert.equal(await admit(alice, agent), 'admitted');
    const inline = run('r9', {
      agent: {
        ...commandAgent,
        repos: [{ url: 'https://example.invalid/r.git', credential: 'token' }],
      },
    });
    assert.equal(await admit(bob, inline), 'not_found spec.agent.repos[0].credential');
    const sandbox = {
      apiVersion: v,
      kind: 'Sandbox',
      metadata: { name: 'mine', namespace: 'default' },
      spec: {
        templateRef: { name: 'shell' },
        desiredState: 'Running',
        overrides: { mounts: [{ name: 'm', mountPath: '/creds', credential: 'token' }] },
      },
    } as AnyResource;
    assert.equal(await admit(bob, sandbox), 'not_found spec.overrides.mounts[0].credential');
  });

  it('keeps a Run spec fixed and the stored owner on update; refuses a shared user changing a sandbox', async () => {
    const current = {
      ...run('r10', { agent: commandAgent }, 'bob'),
      metadata: { name: 'r10', ...owned('bob') },
    } as AnyResource;
    const moved = run('r10', { agent: commandAgent, sandbox: { name: 'box' } });
    assert.equal(await admit(bob, moved, current), 'validation_failed');
    assert.equal(await admit(bob, run('r10', { agent: commandAgent }), current), 'admitted');
    assert.equal(
      withOwner(admin, run('r10', { agent: commandAgent }, 'eve'), current).metadata.annotations?.[
        OWNER_ANNOTATION
      ],
      'bob',
    );
    const box = await store.get('Sandbox', { namespace: 'default', name: 'box' });
    assert.equal(
      await outcome(Promise.resolve().then(() => requireManageable(carol, box))),
      'forbidden',
    );
    assert.equal(
      await outcome(Promise.resolve().then(() => requireManageable(bob, box))),
      'not_found',
    );
    assert.equal(
      await outcome(Promise.resolve().then(() => requireManageable(alice, box))),
      'admitted',
    );
    assert.equal(
      await outcome(Promise.resolve().then(() => requireManageable(admin, box))),
      'admitted',
    );
  });

  it('refuses host path mounts in overrides for users', async () => {
    const sandbox = {
      apiVersion: v,
      kind: 'Sandbox',
      metadata: { name: 'host', namespace: 'default' },
      spec: {
        templateRef: { name: 'shell' },
        desiredState: 'Running',
        overrides: { mounts: [{ name: 'etc', mountPath: '/host', hostPath: '/etc' }] },
      },
    } as AnyResource;
    assert.equal(await admit(bob, sandbox), 'forbidden spec.overrides.mounts[0].hostPath');
  });
});
