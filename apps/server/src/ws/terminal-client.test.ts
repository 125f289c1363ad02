// The typed client's terminal (packages/client) against the real server and the real runtime,
// through a TCP relay the test can cut to force a dropped connection.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient, type Terminal } from '@paddock/client';
import { isPaddockError } from '@paddock/core';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { type AuthWorld, startAuthWorld, uniqueName } from './test-users.ts';

/** A TCP relay to `target`; `cut()` destroys every connection as a network failure would. */
async function startRelay(target: URL): Promise<{ url: string; cut(): void; close(): void }> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    open.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut: () => {
      for (const socket of open) socket.destroy();
    },
    close: () => {
      for (const socket of open) socket.destroy();
      server.close();
    },
  };
}

function collect(terminal: Terminal): () => string {
  let text = '';
  const decoder = new TextDecoder();
  terminal.on('output', (data) => {
    text += decoder.decode(data, { stream: true });
  });
  return () => text;
}

const waitFor = (output: () => string, pattern: RegExp) =>
  eventually(
    () => {
      assert.match(output(), pattern, `not in ${JSON.stringify(output().slice(-300))}`);
      return true;
    },
    { timeoutMs: 15_000, what: `${pattern} in the terminal` },
  );

describe('client terminal against the real server', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: AuthWorld;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  const box = uniqueName('tclient');
  const terminals: Terminal[] = [];

  before(async () => {
    w = await startAuthWorld({ 'terminal-reconnect-ms': '10000' });
    await w.createSandbox(box, w.alice, { kind: 'ClusterSandboxTemplate', name: 'shell' });
    relay = await startRelay(new URL(w.s.url));
  });
  after(async () => {
    for (const t of terminals) t.close();
    relay.close();
    await w.s.close();
  });

  const alice = () =>
    createClient({ baseUrl: relay.url, token: w.alice, reconnect: { initialDelayMs: 100 } });

  it('runs a shell with the bearer subprotocol: output, resize, signal, exit code', async () => {
    const terminal = await alice().sandboxes.terminal(box, { cols: 90, rows: 20 });
    terminals.push(terminal);
    assert.match(terminal.sessionId, /^[0-9a-f-]{36}$/);
    const output = collect(terminal);
    terminal.write('stty size\r');
    await waitFor(output, /^20 90\r?$/m);
    terminal.resize(132, 43);
    terminal.write('stty size\r');
    await waitFor(output, /^43 132\r?$/m);
    terminal.write('echo sl""eeping; sleep 100\r');
    await waitFor(output, /^sleeping\r?$/m);
    terminal.write('\x03');
    terminal.write('echo aw""ake\r');
    await waitFor(output, /^awake\r?$/m);
    terminal.write('exit 4\r');
    assert.deepEqual(await terminal.done, { exitCode: 4, signal: null });
  });

  it('runs a command instead of the shell when asked, on the same terminal', async () => {
    const terminal = await alice().sandboxes.terminal(box, {
      cols: 80,
      rows: 24,
      command: ['sh', '-c', 'test -t 0 && echo on-a-tty; read line; echo "got $line"; exit 6'],
    });
    terminals.push(terminal);
    const output = collect(terminal);
    await waitFor(output, /^on-a-tty\r?$/m);
    terminal.write('hello\r');
    await waitFor(output, /^got hello\r?$/m);
    assert.deepEqual(await terminal.done, { exitCode: 6, signal: null });
  });

  it('re-attaches after the connection is cut and replays what was missed', async () => {
    const terminal = await alice().sandboxes.terminal(box, { cols: 80, rows: 24 });
    terminals.push(terminal);
    const output = collect(terminal);
    const sessions: Array<{ id: string; isReattach: boolean }> = [];
    terminal.on('session', (info) => sessions.push(info));
    let reconnects = 0;
    terminal.on('reconnecting', () => {
      reconnects++;
    });
    terminal.write('sleep 1; echo la""ter\r');
    await waitFor(output, /la""ter/);
    relay.cut();
    await waitFor(output, /^later\r?$/m);
    assert.ok(reconnects >= 1);
    assert.equal(sessions.at(-1)?.id, terminal.sessionId);
    assert.equal(sessions.at(-1)?.isReattach, true);
    terminal.write('echo st""ill-here\r');
    await waitFor(output, /^still-here\r?$/m);
    terminal.write('exit\r');
    assert.deepEqual(await terminal.done, { exitCode: 0, signal: null });
  });

  it('surfaces refused upgrades as the REST errors', async () => {
    const codeOf = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        assert.ok(isPaddockError(error), String(error));
        return error.code;
      }
      assert.fail('expected a refusal');
    };
    const size = { cols: 80, rows: 24 };
    const stranger = createClient({ baseUrl: w.s.url, token: 'pdk_wrong' });
    assert.equal(await codeOf(stranger.sandboxes.terminal(box, size)), 'unauthenticated');
    const bob = createClient({ baseUrl: w.s.url, token: w.bob });
    assert.match(await codeOf(bob.sandboxes.terminal(box, size)), /not_found$/);
    assert.match(await codeOf(alice().sandboxes.terminal('missing', size)), /not_found$/);
  });
});
