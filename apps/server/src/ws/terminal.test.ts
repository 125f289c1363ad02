import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TERMINAL_PROTOCOL } from '@paddock/api';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { BEARER_PROTOCOL_PREFIX } from './credential.ts';
import {
  type AuthWorld,
  openSocket,
  startAuthWorld,
  type TestSocket,
  uniqueName,
} from './test-users.ts';

const RECONNECT_MS = 2000;

describe('WebSocket terminal on the real bubblewrap runtime', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: AuthWorld;
  const box = uniqueName('term');
  let base = '';
  const sockets: TestSocket[] = [];
  const open = (query: string, options: { token?: string; protocols?: string[] }) => {
    const opened = openSocket(`${base}${query}`, options);
    sockets.push(opened.socket);
    return opened;
  };

  before(async () => {
    w = await startAuthWorld({ 'terminal-reconnect-ms': String(RECONNECT_MS) });
    await w.createSandbox(box, w.alice, { kind: 'ClusterSandboxTemplate', name: 'shell' });
    base = `${w.s.url.replace('http://', 'ws://')}/ws/terminal/default/${box}`;
  });
  after(async () => {
    for (const s of sockets) s.ws.terminate();
    await w.s.close();
  });

  it('runs a shell: echo, resize, Ctrl-C, and refuses bad control messages', async () => {
    const { socket, opened } = open('?cols=100&rows=30', { token: w.alice });
    await opened;
    const session = await socket.waitForMessage('session');
    assert.match(String(session.id), /^[0-9a-f-]{36}$/);
    socket.send('stty size\r');
    await socket.waitForOutput(/^30 100\r?$/m);
    socket.send('echo hi\r');
    await socket.waitForOutput(/^hi\r?$/m);
    socket.ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    socket.send('stty size\r');
    await socket.waitForOutput(/^40 120\r?$/m);
    socket.send('echo sl""eeping; sleep 100\r');
    await socket.waitForOutput(/^sleeping\r?$/m);
    socket.send('\x03');
    socket.send('echo aw""ake\r');
    await socket.waitForOutput(/^awake\r?$/m, 5000);
    socket.ws.send(JSON.stringify({ type: 'resize', cols: 0, rows: 40 }));
    const error = await socket.waitForMessage('error');
    assert.equal(error.code, 'validation_failed');
    socket.send('exit 7\r');
    const exit = await socket.waitForMessage('exit');
    assert.deepEqual(exit, { type: 'exit', exitCode: 7, signal: null });
    assert.equal((await socket.closed).code, 1000);
  });

  it('keeps the shell for the reconnect window and replays what was missed', async () => {
    const first = open('', { token: w.alice });
    await first.opened;
    const id = String((await first.socket.waitForMessage('session')).id);
    // Typed only once the shell prompts: typed ahead, the line is echoed by the terminal and then
    // again by readline with its prompt, a second echo that could land after the detach.
    await first.socket.waitForOutput(/\$ $/m);
    first.socket.send('sleep 1; echo la""ter\r');
    await first.socket.waitForOutput(/la""ter/);
    first.socket.ws.terminate();
    await first.socket.closed;
    // Detached while `sleep 1` runs: "later" is printed to no one and must come back as replay.
    await new Promise((resolve) => setTimeout(resolve, 1300));
    const second = open(`?session=${id}`, { token: w.alice });
    await second.opened;
    const announced = await second.socket.waitForMessage('session');
    assert.equal(announced.id, id);
    assert.ok(Number(announced.replayedBytes) > 0);
    await second.socket.waitForOutput(/^later\r?$/m);
    assert.doesNotMatch(
      second.socket.output(),
      /la""ter/,
      'output already delivered is not replayed',
    );
    second.socket.send('echo st""ill-here\r');
    await second.socket.waitForOutput(/^still-here\r?$/m);
    // Someone else (bob) cannot take the session over, even knowing its id.
    const stolen = open(`?session=${id}`, { token: w.bob });
    assert.equal((await stolen.refused).status, 404, 'bob does not see the sandbox');
    second.socket.ws.close();
  });

  it('kills the shell after the window; a late reconnect gets a clear error', async () => {
    const first = open('', { token: w.alice });
    await first.opened;
    const id = String((await first.socket.waitForMessage('session')).id);
    first.socket.send('echo pid=$$\r');
    const pid = /^pid=(\d+)\r?$/m.exec(await first.socket.waitForOutput(/^pid=\d+\r?$/m))?.[1];
    assert.match(pid ?? '', /^\d+$/);
    const alive = await w.s.call(`/api/v1/namespaces/default/sandboxes/${box}/exec`, {
      method: 'POST',
      token: w.alice,
      body: JSON.stringify({ command: ['sh', '-c', `test -d /proc/${pid} && echo alive`] }),
    });
    assert.equal(
      ((await alive.json()) as { stdout: string }).stdout,
      'alive\n',
      'the shell is seen',
    );
    first.socket.ws.terminate();
    // Waits out the reconnect window: nothing observable announces its end.
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS + 1000));
    const late = open(`?session=${id}`, { token: w.alice });
    await late.opened;
    const error = await late.socket.waitForMessage('error');
    assert.equal(error.code, 'not_found');
    assert.match(String(error.message), /reconnect window/);
    assert.equal((await late.socket.closed).code, 4404);
    await eventually(
      async () => {
        const res = await w.s.call(`/api/v1/namespaces/default/sandboxes/${box}/exec`, {
          method: 'POST',
          token: w.alice,
          body: JSON.stringify({
            command: ['sh', '-c', `test -d /proc/${pid} && echo alive || echo gone`],
          }),
        });
        return ((await res.json()) as { stdout: string }).stdout === 'gone\n';
      },
      { timeoutMs: 5000, what: `shell ${pid} gone` },
    );
    const audit = (await (
      await w.s.call('/api/v1/audit?action=terminal.close', { token: w.admin })
    ).json()) as {
      items: Array<{ actor: string; details: { sessionId?: string; reason?: string } }>;
    };
    const closed = audit.items.find((r) => r.details.sessionId === id);
    assert.equal(closed?.details.reason, 'expired');
    assert.equal(closed?.actor, 'alice');
  });

  it('authenticates by header, subprotocol or query, and refuses before upgrading', async () => {
    const none = open('', {});
    assert.deepEqual(
      { status: (await none.refused).status, code: (await none.refused).code },
      { status: 401, code: 'unauthenticated' },
    );
    const wrong = open('?token=pdk_wrong', {});
    assert.equal((await wrong.refused).status, 401);
    const bobs = open('', { token: w.bob });
    assert.equal((await bobs.refused).status, 404);
    const missing = openSocket(`${base.replace(`/${box}`, '/nope')}`, { token: w.alice });
    sockets.push(missing.socket);
    assert.equal((await missing.refused).status, 404);
    const badQuery = open('?cols=abc', { token: w.alice });
    assert.equal((await badQuery.refused).status, 400);

    const viaProtocol = open('', {
      protocols: [TERMINAL_PROTOCOL, `${BEARER_PROTOCOL_PREFIX}${w.alice}`],
    });
    await viaProtocol.opened;
    assert.equal(viaProtocol.socket.ws.protocol, TERMINAL_PROTOCOL, 'the token is never echoed');
    await viaProtocol.socket.waitForMessage('session');
    viaProtocol.socket.ws.close();
    const viaQuery = open(`?token=${w.alice}`, {});
    await viaQuery.opened;
    await viaQuery.socket.waitForMessage('session');
    viaQuery.socket.ws.close();

    assert.ok(!w.s.logs.join('\n').includes(w.alice.slice(4)), 'the token is not logged');
    const audit = await (await w.s.call('/api/v1/audit?limit=1000', { token: w.admin })).text();
    assert.ok(!audit.includes(w.alice.slice(4)), 'the token is not in the audit log');
  });

  it('audits terminal.open and terminal.close with the session id', async () => {
    const { socket, opened } = open('', { token: w.alice });
    await opened;
    const id = String((await socket.waitForMessage('session')).id);
    socket.send('exit\r');
    await socket.closed;
    const query = async (action: string) =>
      (
        (await (await w.s.call(`/api/v1/audit?action=${action}`, { token: w.admin })).json()) as {
          items: Array<{
            actor: string;
            result: string;
            target: unknown;
            details: { sessionId?: string };
          }>;
        }
      ).items.find((r) => r.details.sessionId === id);
    const opening = await query('terminal.open');
    assert.equal(opening?.actor, 'alice');
    assert.equal(opening?.result, 'success');
    assert.equal(opening?.target, `Sandbox/default/${box}`);
    const closing = await eventually(() => query('terminal.close'), {
      timeoutMs: 5000,
      what: 'terminal.close',
    });
    assert.equal(closing.actor, 'alice');
    const denied = (await (
      await w.s.call('/api/v1/audit?action=auth.failure', { token: w.admin })
    ).json()) as { items: Array<{ details: { path?: string } }> };
    assert.ok(denied.items.some((r) => r.details.path === `/ws/terminal/default/${box}`));
  });

  it('answers 409 when the sandbox is not Running', async () => {
    const stop = await w.s.call(`/api/v1/namespaces/default/sandboxes/${box}/stop`, {
      method: 'POST',
      token: w.alice,
    });
    assert.equal(stop.status < 300, true, await stop.clone().text());
    await eventually(
      async () => {
        const got = await w.s.call(`/api/v1/namespaces/default/sandboxes/${box}`, {
          token: w.alice,
        });
        const phase = ((await got.json()) as { status?: { phase?: string } }).status?.phase;
        return phase === 'Stopped' ? phase : undefined;
      },
      { timeoutMs: 60_000, what: 'Stopped' },
    );
    const refused = open('', { token: w.alice });
    assert.deepEqual(
      { status: (await refused.refused).status, code: (await refused.refused).code },
      { status: 409, code: 'invalid_transition' },
    );
  });
});
