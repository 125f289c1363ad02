// Taking a user off a sandbox's `sharedWith` ends what that user has open into it at once — a
// terminal, a port forward, a followed log, a sandbox's event stream — as revoking a key does;
// the owner's own connections go on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PORT_FORWARD_PROTOCOL, TERMINAL_PROTOCOL } from '@paddock/api';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { openSocket, type TestSocket, uniqueName } from '../ws/test-users.ts';
import {
  type AuthzWorld,
  BOX_PORT,
  commandAgent,
  type JsonValue,
  manifest,
  NS,
  nsPath,
  type Role,
  startAuthzWorld,
} from './authz-fixtures.ts';
import { currentManifest } from './authz-fresh.ts';

/** A server-sent event stream whose end (the server closing it, or its socket) is awaited. */
async function openStream(fx: AuthzWorld, role: Role, path: string) {
  const abort = new AbortController();
  const res = await fetch(`${fx.w.s.url}${path}`, {
    signal: abort.signal,
    headers: { accept: 'text/event-stream', authorization: `Bearer ${fx.tokenOf(role)}` },
  });
  assert.equal(res.status, 200, `${path} as ${role}`);
  const reader = res.body?.getReader();
  const ended = (async () => {
    try {
      for (;;) if ((await reader?.read())?.done !== false) return 'ended';
    } catch {
      return 'ended';
    }
  })();
  return { ended, close: () => abort.abort() };
}

/** `promise`'s value, or `open` when it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'open'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'open'>((resolve) => {
    timer = setTimeout(() => resolve('open'), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('unsharing a sandbox ends the connections of the user taken off it', {
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

  const socketAs = async (role: Role, path: string, protocol: string): Promise<TestSocket> => {
    const url = `${fx.w.s.url.replace('http://', 'ws://')}${path}`;
    const { socket, opened } = openSocket(url, {
      token: fx.tokenOf(role) ?? '',
      protocols: [protocol],
    });
    await opened;
    return socket;
  };

  /** Shares alice's sandbox with exactly `users`. */
  const shareWith = async (users: string[]) => {
    const changed = await currentManifest(fx, `${nsPath('sandboxes')}/${fx.box}`);
    changed.spec.sharedWith = users;
    await fx.json('owner', `${nsPath('sandboxes')}/${fx.box}`, 200, {
      method: 'PUT',
      body: changed,
    });
  };
  /** The inbox files of runs in alice's sandbox, read as admin. */
  const inbox = async () => {
    const listed = await fx.json<JsonValue>('admin', `${nsPath('sandboxes')}/${fx.box}/exec`, 200, {
      method: 'POST',
      body: { command: ['sh', '-c', 'ls -A /tmp/.paddock-run/inbox 2>/dev/null'] },
    });
    return String(listed.stdout)
      .split('\n')
      .filter((line) => line.endsWith('.json'));
  };

  it("takes no input into carol's interactive run in alice's sandbox once unshared", async () => {
    await shareWith(['carol']);
    const run = uniqueName('carol-talks');
    await fx.json('shared', nsPath('runs'), 201, {
      method: 'POST',
      body: manifest('Run', run, {
        agent: commandAgent('sleep 300'),
        prompt: 'x',
        mode: 'interactive',
        sandbox: { name: fx.box },
      }),
    });
    await eventually(
      async () => {
        const got = await fx.json<JsonValue>('shared', `${nsPath('runs')}/${run}`, 200);
        return got.status?.phase === 'Running' ? true : undefined;
      },
      { timeoutMs: 60_000, what: `run ${run} Running` },
    );
    const message = `${nsPath('runs')}/${run}/messages`;
    await fx.json('shared', message, 202, { method: 'POST', body: { text: 'while shared' } });
    const before = await inbox();
    assert.equal(before.length, 1, 'the message while shared reached the inbox');

    try {
      await shareWith([]);
      const refused = await fx.call('shared', message, {
        method: 'POST',
        body: { text: 'after' },
      });
      const text = await refused.text();
      // Not found for carol now, or (once the run has seen the unshare) a run no longer Running.
      assert.ok([404, 409].includes(refused.status), `${refused.status} ${text}`);
      assert.deepEqual(await inbox(), before, "carol wrote into alice's sandbox after the unshare");
      // The run itself stops working there: it fails, and its harness is stopped.
      const failed = await eventually(
        async () => {
          const got = await fx.json<JsonValue>('shared', `${nsPath('runs')}/${run}`, 200);
          return got.status?.phase === 'Failed' ? got : undefined;
        },
        { timeoutMs: 30_000, what: `run ${run} Failed after the unshare` },
      );
      assert.match(String(failed.status?.message), /may no longer be used by carol/);
      await eventually(
        async () => {
          const listed = await fx.json<JsonValue>(
            'admin',
            `${nsPath('sandboxes')}/${fx.box}/processes`,
            200,
          );
          const harness = (listed.items as JsonValue[]).find((p) => String(p.id).includes(run));
          return harness === undefined || harness.running === false;
        },
        { timeoutMs: 30_000, what: `the harness of ${run} stopped` },
      );
    } finally {
      await fx.call('admin', `${nsPath('runs')}/${run}/cancel`, { method: 'POST' });
      await shareWith(['carol']);
    }
  });

  it("closes carol's terminal, port forward and streams; alice's go on", async () => {
    const terminal = `/ws/terminal/${NS}/${fx.box}`;
    const carolShell = await socketAs('shared', terminal, TERMINAL_PROTOCOL);
    const aliceShell = await socketAs('owner', terminal, TERMINAL_PROTOCOL);
    const carolForward = await socketAs(
      'shared',
      `/ws/port-forward/${NS}/${fx.box}/${BOX_PORT}`,
      PORT_FORWARD_PROTOCOL,
    );
    const streams = await Promise.all(
      [
        `${nsPath('sandboxes')}/${fx.box}/logs?follow=true`,
        `${nsPath('sandboxes')}/${fx.box}/events?watch=true`,
      ].map((path) => openStream(fx, 'shared', path)),
    );
    const aliceStream = await openStream(
      fx,
      'owner',
      `${nsPath('sandboxes')}/${fx.box}/events?watch=true`,
    );
    try {
      carolShell.send('echo be""fore\r');
      await carolShell.waitForOutput(/^before\r?$/m);

      const unshared = await currentManifest(fx, `${nsPath('sandboxes')}/${fx.box}`);
      unshared.spec.sharedWith = [];
      await fx.json('owner', `${nsPath('sandboxes')}/${fx.box}`, 200, {
        method: 'PUT',
        body: unshared,
      });

      for (const [what, socket] of [
        ['terminal', carolShell],
        ['port forward', carolForward],
      ] as const) {
        assert.notEqual(await within(socket.closed, 10_000), 'open', `carol's ${what} is open`);
      }
      for (const stream of streams) {
        assert.equal(await within(stream.ended, 10_000), 'ended', "carol's stream is open");
      }
      // Alice's own terminal and stream are untouched.
      aliceShell.send('echo st""ill\r');
      await aliceShell.waitForOutput(/^still\r?$/m);
      assert.equal(await within(aliceStream.ended, 500), 'open');
      // And carol cannot come back in.
      const { opened, refused } = openSocket(
        `${fx.w.s.url.replace('http://', 'ws://')}${terminal}`,
        { token: fx.tokenOf('shared') ?? '', protocols: [TERMINAL_PROTOCOL] },
      );
      await assert.rejects(opened);
      assert.equal((await refused).status, 404);
    } finally {
      for (const socket of [carolShell, aliceShell, carolForward]) socket.ws.terminate();
      for (const stream of [...streams, aliceStream]) stream.close();
    }
  });
});
