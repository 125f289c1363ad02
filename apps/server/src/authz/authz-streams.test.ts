// Streams outside the route table, on alice's objects: the WebSocket terminal and port forward,
// and server-sent events (a sandbox list watch, a sandbox's events and logs, a run's transcript).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PORT_FORWARD_PROTOCOL, TERMINAL_PROTOCOL } from '@paddock/api';
import { bwrapSkipReason } from '@paddock/testkit';
import { openSocket, uniqueName } from '../ws/test-users.ts';
import {
  type AuthzWorld,
  BOX_PORT,
  type JsonValue,
  manifest,
  NS,
  nsPath,
  ROLES,
  type Role,
  startAuthzWorld,
} from './authz-fixtures.ts';
import { currentManifest, freshSandbox } from './authz-fresh.ts';
import { type Expect, type Outcome, STREAM_MATRIX } from './authz-matrix.ts';
import { openSse, type SseStream } from './authz-sse-fixture.ts';

/** The handshake's outcome: 101 when the socket opened (then closed at once). */
async function handshake(fx: AuthzWorld, role: Role, path: string, protocol: string) {
  const url = `${fx.w.s.url.replace('http://', 'ws://')}${path}`;
  const token = fx.tokenOf(role);
  const { socket, opened, refused } = openSocket(url, {
    ...(token === undefined ? {} : { token }),
    protocols: [protocol],
  });
  const outcome = await opened.then(
    () => ({ status: 101, code: undefined }),
    async () => {
      const r = await refused;
      return { status: r.status, code: r.code };
    },
  );
  socket.ws.terminate();
  return outcome;
}

/** The roles whose outcome is not the expected one, described. */
function mismatches(
  expect: Expect,
  got: Record<Role, { status: number; code?: string | undefined }>,
) {
  const show = (o: Outcome | { status: number; code?: string | undefined }) =>
    `${o.status}${o.code ? ` ${o.code}` : ''}`;
  return ROLES.filter((role) => {
    const want = expect[role];
    return (
      got[role].status !== want.status || (want.code !== undefined && got[role].code !== want.code)
    );
  }).map((role) => `${role}: want ${show(expect[role])}, got ${show(got[role])}`);
}

async function byRole<T>(each: (role: Role) => Promise<T>): Promise<Record<Role, T>> {
  const results = await Promise.all(ROLES.map(each));
  return Object.fromEntries(ROLES.map((role, i) => [role, results[i]])) as Record<Role, T>;
}

const nameOf = (event: JsonValue): string | undefined => event?.object?.metadata?.name;

describe('authorization of WebSocket and server-sent event streams', {
  skip: bwrapSkipReason(),
  timeout: 300_000,
}, () => {
  let fx: AuthzWorld;
  before(async () => {
    fx = await startAuthzWorld();
  });
  after(async () => {
    await fx?.close();
  });

  it('opens the terminal for the owner, the shared user and admins only', async () => {
    const got = await byRole((role) =>
      handshake(fx, role, `/ws/terminal/${NS}/${fx.box}`, TERMINAL_PROTOCOL),
    );
    assert.deepEqual(mismatches(STREAM_MATRIX.terminal.expect, got), []);
  });

  it('forwards a port for the owner, the shared user and admins only', async () => {
    const got = await byRole((role) =>
      handshake(fx, role, `/ws/port-forward/${NS}/${fx.box}/${BOX_PORT}`, PORT_FORWARD_PROTOCOL),
    );
    assert.deepEqual(mismatches(STREAM_MATRIX.portForward.expect, got), []);
  });

  for (const [row, path] of [
    [
      'sandboxEventsWatch',
      (fx: AuthzWorld) => `${nsPath('sandboxes')}/${fx.box}/events?watch=true`,
    ],
    ['sandboxLogsFollow', (fx: AuthzWorld) => `${nsPath('sandboxes')}/${fx.box}/logs?follow=true`],
    ['runEventsWatch', (fx: AuthzWorld) => `${nsPath('runs')}/${fx.run}/events?watch=true`],
  ] as const) {
    it(`streams ${row} only to whom may see the object`, async () => {
      const streams = await byRole((role) => openSse(fx, role, path(fx)));
      for (const stream of Object.values(streams)) stream.close();
      assert.deepEqual(mismatches(STREAM_MATRIX[row].expect, streams), []);
    });
  }

  it("never sends alice's sandbox events to bob's watch; hers, carol's and admins' carry them", async () => {
    const watchers = ['owner', 'other', 'shared', 'admin'] as const;
    const path = `${nsPath('sandboxes')}?watch=true`;
    const streams = {} as Record<(typeof watchers)[number], SseStream>;
    for (const role of watchers) streams[role] = await openSse(fx, role, path);
    try {
      for (const role of watchers) assert.equal(streams[role].status, 200, role);
      // Alice changes her shared sandbox and makes another one (also shared with carol).
      const labelled = await currentManifest(fx, `${nsPath('sandboxes')}/${fx.box}`);
      labelled.metadata.labels = { ...labelled.metadata.labels, watched: 'yes' };
      await fx.json('owner', `${nsPath('sandboxes')}/${fx.box}`, 200, {
        method: 'PUT',
        body: labelled,
      });
      const added = await freshSandbox(fx, 'owner');
      for (const role of ['owner', 'shared', 'admin'] as const) {
        await streams[role].waitFor(
          (e) => nameOf(e) === fx.box && e.object.metadata.labels?.watched === 'yes',
          "the change of alice's sandbox",
        );
        await streams[role].waitFor((e) => nameOf(e) === added, "alice's new sandbox");
      }
      // Bob's own sandbox comes after hers on the same ordered stream: once it has arrived,
      // every event about hers has been dealt with.
      const bobs = uniqueName('authz-bob');
      await fx.json('other', nsPath('sandboxes'), 201, {
        method: 'POST',
        body: manifest('Sandbox', bobs, {
          templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
          desiredState: 'Stopped',
        }),
      });
      await streams.other.waitFor((e) => nameOf(e) === bobs, "bob's own sandbox");
      const leaked = streams.other.events.map(nameOf).filter((name) => name !== bobs);
      assert.deepEqual(leaked, [], "events of others' sandboxes on bob's watch");
    } finally {
      for (const role of watchers) streams[role].close();
    }
  });
});
