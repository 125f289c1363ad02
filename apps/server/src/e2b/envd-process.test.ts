// envd's process service, driven by the official `e2b` SDK against a real server and sandbox.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import {
  CommandExitError,
  NotFoundError,
  Sandbox,
  SandboxError,
  SandboxNotFoundError,
  TimeoutError,
} from 'e2b';
import { startTestServer, type TestServer } from '../test-server.ts';
import { E2B_NAMESPACE, ENVD_VERSION, openAccessTokens } from './e2b-sandboxes.ts';
import { type E2bWorld, startE2bWorld, UNKNOWN_SANDBOX } from './e2b-test-support.ts';

describe('envd process service through the e2b SDK', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
}, () => {
  let w: E2bWorld;
  let sbx: Sandbox;

  before(async () => {
    w = await startE2bWorld();
    sbx = await w.restSandbox(w.alice);
  });
  after(async () => {
    await w?.close();
  });

  /** A raw Connect streaming call (what the SDK cannot say, such as a tag). */
  const rawStream = async (
    rpc: string,
    body: Record<string, unknown>,
    token: string,
    headers: Record<string, string> = {},
  ) => {
    const json = Buffer.from(JSON.stringify(body));
    const frame = Buffer.alloc(5 + json.length);
    frame.writeUInt32BE(json.length, 1);
    json.copy(frame, 5);
    const controller = new AbortController();
    const res = await fetch(`${w.s.url}/e2b/process.Process/${rpc}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/connect+json',
        'e2b-sandbox-id': sbx.sandboxId,
        'x-access-token': token,
        ...headers,
      },
      body: frame,
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    return { res, abort: () => controller.abort() };
  };
  /** Waits until `check` stops throwing. */
  const until = (check: () => unknown) =>
    eventually(async () => {
      await check();
      return true;
    });
  const tokenOf = async (sandboxId: string) =>
    openAccessTokens(w.s.home).tokenFor(
      await w.s.engine.store.get('Sandbox', { namespace: E2B_NAMESPACE, name: sandboxId }),
    );

  it('runs a command, streaming its output to the callbacks, in the home by default', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const result = await sbx.commands.run('echo hello; echo oops >&2; pwd; id -un', {
      onStdout: (d) => void out.push(d),
      onStderr: (d) => void err.push(d),
    });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, 'hello\n/home/user\nuser\n');
    assert.equal(result.stderr, 'oops\n');
    assert.equal(out.join(''), result.stdout);
    assert.equal(err.join(''), 'oops\n');
  });

  it('throws CommandExitError with the output and exit code of a failing command', async () => {
    const error = await sbx.commands.run('echo out; echo err >&2; exit 3').catch((e) => e);
    assert.ok(error instanceof CommandExitError, String(error));
    assert.equal(error.exitCode, 3);
    assert.equal(error.stdout, 'out\n');
    assert.equal(error.stderr, 'err\n');
    assert.equal(error.error, 'exit status 3');
  });

  it('passes envs and resolves cwd (absolute, or relative to the home)', async () => {
    await sbx.commands.run('mkdir -p /home/user/sub /tmp/abs');
    const envs = await sbx.commands.run('echo "$GREETING $OTHER"', {
      envs: { GREETING: 'hi there', OTHER: 'x=y' },
    });
    assert.equal(envs.stdout, 'hi there x=y\n');
    assert.equal((await sbx.commands.run('pwd', { cwd: '/tmp/abs' })).stdout, '/tmp/abs\n');
    assert.equal((await sbx.commands.run('pwd', { cwd: 'sub' })).stdout, '/home/user/sub\n');
  });

  it('runs background commands: list, connect, wait, kill; they outlive the client', async () => {
    const handle = await sbx.commands.run('echo started; sleep 30', {
      background: true,
      cwd: '/tmp',
      envs: { MARK: 'one' },
      timeoutMs: 0,
    });
    const listed = await sbx.commands.list();
    const mine = listed.find((p) => p.pid === handle.pid);
    assert.deepEqual(mine, {
      pid: handle.pid,
      cmd: '/bin/bash',
      args: ['-l', '-c', 'echo started; sleep 30'],
      envs: { MARK: 'one' },
      cwd: '/tmp',
    });
    await until(() => assert.equal(handle.stdout, 'started\n'));
    // The client goes; the process stays, and a new connection sees its output from the start.
    await handle.disconnect();
    const again = await sbx.commands.connect(handle.pid);
    assert.equal(again.pid, handle.pid);
    await until(() => assert.equal(again.stdout, 'started\n'));
    assert.ok((await sbx.commands.list()).some((p) => p.pid === handle.pid));

    assert.equal(await again.kill(), true);
    const ended = await again.wait().catch((e) => e);
    assert.ok(ended instanceof CommandExitError, String(ended));
    assert.equal(ended.exitCode, -1);
    assert.equal(ended.error, 'signal: killed');
    assert.ok(!(await sbx.commands.list()).some((p) => p.pid === handle.pid));

    assert.equal(await sbx.commands.kill(999_999), false);
    await assert.rejects(sbx.commands.connect(999_999), NotFoundError);
  });

  it('waits for a background command that ends by itself; pids are distinct', async () => {
    const a = await sbx.commands.run('sleep 0.2; echo a', { background: true });
    const b = await sbx.commands.run('echo b; exit 4', { background: true });
    assert.notEqual(a.pid, b.pid);
    assert.equal((await a.wait()).stdout, 'a\n');
    const failed = await b.wait().catch((e) => e);
    assert.ok(failed instanceof CommandExitError);
    assert.equal(failed.exitCode, 4);
  });

  it('ends a streaming foreground command that is killed', async () => {
    const running = sbx.commands.run('echo go; sleep 30', { timeoutMs: 0 });
    const pid = await eventually(async () => {
      const found = (await sbx.commands.list()).find((p) => p.args[2] === 'echo go; sleep 30');
      assert.ok(found);
      return found.pid;
    });
    assert.equal(await sbx.commands.kill(pid), true);
    const error = await running.catch((e) => e);
    assert.ok(error instanceof CommandExitError, String(error));
    assert.equal(error.stdout, 'go\n');
  });

  it('feeds stdin: sendStdin, then closeStdin ends cat', async () => {
    const cat = await sbx.commands.run('cat', { background: true, stdin: true });
    await sbx.commands.sendStdin(cat.pid, 'Hello,\n');
    await until(() => assert.equal(cat.stdout, 'Hello,\n'));
    await cat.sendStdin(new TextEncoder().encode('World!'));
    await sbx.commands.sendStdin(cat.pid, '');
    assert.ok((await sbx.commands.list()).some((p) => p.pid === cat.pid));
    await cat.closeStdin();
    const result = await cat.wait();
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, 'Hello,\nWorld!');

    // A command started without stdin has none to write to.
    const plain = await sbx.commands.run('sleep 30', { background: true });
    await assert.rejects(sbx.commands.sendStdin(plain.pid, 'x'), /stdin: true/);
    await plain.kill();
  });

  it('kills a command past its timeout and says so with TimeoutError', async () => {
    const started = Date.now();
    await assert.rejects(sbx.commands.run('sleep 20', { timeoutMs: 1000 }), TimeoutError);
    assert.ok(Date.now() - started < 10_000);
    const handle = await sbx.commands.run('sleep 21', { background: true, timeoutMs: 1000 });
    await assert.rejects(handle.wait(), TimeoutError);
    await until(async () => {
      const left = (await sbx.commands.list()).filter((p) => /sleep 2[01]/.test(p.args[2] ?? ''));
      assert.deepEqual(left, []);
    });
  });

  it('runs a PTY: input, resize, output, reconnect, exit', async () => {
    let output = '';
    const decoder = new TextDecoder();
    const terminal = await sbx.pty.create({
      cols: 80,
      rows: 24,
      envs: { ABC: 'pty-env' },
      onData: (data) => {
        output += decoder.decode(data, { stream: true });
      },
    });
    const input = (text: string) => sbx.pty.sendInput(terminal.pid, new TextEncoder().encode(text));
    await input('echo "$ABC"; tput cols\n');
    await until(() => assert.match(output, /pty-env[\s\S]*\b80\b/));
    assert.ok((await sbx.commands.list()).some((p) => p.pid === terminal.pid));
    await sbx.pty.resize(terminal.pid, { cols: 123, rows: 30 });
    await terminal.disconnect();
    let reconnected = '';
    const again = await sbx.pty.connect(terminal.pid, {
      onData: (data) => {
        reconnected += decoder.decode(data);
      },
    });
    await input('tput cols; stty size\nexit\n');
    const result = await again.wait();
    assert.equal(result.exitCode, 0);
    assert.match(reconnected, /\b123\b/);
    assert.match(reconnected, /30 123/);
    // A PTY takes terminal input, not stdin, and cannot have its stdin closed.
    const shell = await sbx.pty.create({ cols: 80, rows: 24, onData: () => {} });
    await assert.rejects(sbx.commands.sendStdin(shell.pid, 'x'), /PTY/);
    await assert.rejects(sbx.commands.closeStdin(shell.pid), /Ctrl\+D/);
    assert.equal(await sbx.pty.kill(shell.pid), true);
    const killed = await shell.wait().catch((e) => e);
    assert.ok(killed instanceof CommandExitError);
  });

  it('lists and connects by tag; the tag is kept with the process', async () => {
    const token = await tokenOf(sbx.sandboxId);
    const { res, abort } = await rawStream(
      'Start',
      {
        process: { cmd: '/bin/sh', args: ['-c', 'sleep 30'] },
        tag: 'web-server',
        stdin: false,
      },
      token,
    );
    const tagged = await eventually(async () => {
      const found = (await sbx.commands.list()).find((p) => p.tag === 'web-server');
      assert.ok(found);
      return found;
    });
    assert.equal(tagged.cwd, '/home/user');
    abort();
    await res.body?.cancel().catch(() => {});
    // Still running once its starter went, and found by its tag.
    assert.ok((await sbx.commands.list()).some((p) => p.pid === tagged.pid));
    const byTag = await rawStream('Connect', { process: { tag: 'web-server' } }, token);
    const first = await byTag.res.body?.getReader().read();
    const frame = Buffer.from(first?.value ?? []);
    const message = JSON.parse(frame.subarray(5, 5 + frame.readUInt32BE(1)).toString());
    assert.deepEqual(message, { event: { start: { pid: tagged.pid } } });
    byTag.abort();
    await sbx.commands.kill(tagged.pid);
  });

  it('sends keepalives as often as asked, then the output and the end', async () => {
    const token = await tokenOf(sbx.sandboxId);
    const { res } = await rawStream(
      'Start',
      { process: { cmd: '/bin/sh', args: ['-c', 'sleep 1.6; echo done'] }, stdin: false },
      token,
      { 'keepalive-ping-interval': '1' },
    );
    const body = Buffer.from(await res.arrayBuffer());
    const frames: Array<{ flags: number; message: unknown }> = [];
    for (let at = 0; at < body.length; ) {
      const length = body.readUInt32BE(at + 1);
      const message = JSON.parse(body.subarray(at + 5, at + 5 + length).toString());
      frames.push({ flags: body[at] ?? 0, message });
      at += 5 + length;
    }
    const events = frames.map((f) => Object.keys((f.message as { event?: object }).event ?? {})[0]);
    assert.deepEqual(events, ['start', 'keepalive', 'data', 'end', undefined]);
    assert.deepEqual(frames[2]?.message, {
      event: { data: { stdout: Buffer.from('done\n').toString('base64') } },
    });
    assert.deepEqual(frames[3]?.message, {
      event: { end: { exitCode: 0, exited: true, status: 'exit status 0' } },
    });
    assert.deepEqual(frames[4], { flags: 2, message: {} });
  });

  it('refuses root, and answers another sandbox’s access token as for a missing sandbox', async () => {
    const asRoot = await sbx.commands.run('id', { user: 'root' }).catch((e) => e);
    assert.ok(asRoot instanceof SandboxError, String(asRoot));
    assert.match(asRoot.message, /permission_denied.*unprivileged user/);

    const other = await w.restSandbox(w.bob);
    const Ctor = Sandbox as unknown as new (o: Record<string, unknown>) => Sandbox;
    const forged = new Ctor({
      ...w.opts(w.alice),
      sandboxId: sbx.sandboxId,
      envdVersion: ENVD_VERSION,
      envdAccessToken: await tokenOf(other.sandboxId),
    });
    // What the SDK says when a command's sandbox is gone.
    await assert.rejects(forged.commands.run('echo no'), SandboxNotFoundError);
    await assert.rejects(forged.commands.list(), UNKNOWN_SANDBOX);
    await assert.rejects(forged.commands.kill(1000), UNKNOWN_SANDBOX);
  });

  it('ends the stream of a command whose sandbox is deleted', async () => {
    const doomed = await w.restSandbox(w.alice);
    const handle = await doomed.commands.run('sleep 60', { background: true, timeoutMs: 0 });
    const res = await w.s.call(
      `/api/v1/namespaces/${E2B_NAMESPACE}/sandboxes/${doomed.sandboxId}`,
      {
        method: 'DELETE',
        token: w.alice,
      },
    );
    assert.ok(res.ok, await res.text());
    const error = await handle.wait().catch((e) => e);
    assert.ok(error instanceof TimeoutError, String(error));
    assert.match(error.message, /sandbox was killed/);
  });
});

describe('envd processes across a restart of the server', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  it('keeps background commands and their recorded config (the tag rides with it), never reusing a pid', async () => {
    const w = await startE2bWorld();
    const { home } = w.s;
    let second: TestServer | undefined;
    try {
      const sbx = await w.restSandbox(w.alice);
      const token = openAccessTokens(home).tokenFor(
        await w.s.engine.store.get('Sandbox', { namespace: E2B_NAMESPACE, name: sbx.sandboxId }),
      );
      const handle = await sbx.commands.run('echo before; sleep 60', {
        background: true,
        envs: { KEPT: 'yes' },
        timeoutMs: 0,
      });
      await handle.disconnect();
      // The first server goes away without touching its sandboxes, as a crash or an upgrade would.
      await w.s.server.close();
      await w.s.engine.close();
      second = await startTestServer({ home, auth: 'required' });
      const Ctor = Sandbox as unknown as new (o: Record<string, unknown>) => Sandbox;
      const base = `${second.url}/e2b`;
      const again = new Ctor({
        apiUrl: base,
        sandboxUrl: base,
        apiKey: w.alice,
        sandboxId: sbx.sandboxId,
        envdVersion: ENVD_VERSION,
        envdAccessToken: token,
      });
      const listed = (await again.commands.list()).find((p) => p.pid === handle.pid);
      assert.deepEqual(listed?.envs, { KEPT: 'yes' });
      const reconnected = await again.commands.connect(handle.pid);
      const next = await again.commands.run('echo after');
      assert.ok(next.stdout === 'after\n');
      const later = await again.commands.run('sleep 30', { background: true });
      assert.ok(later.pid > handle.pid);
      await later.kill();
      await reconnected.kill();
      const ended = await reconnected.wait().catch((e) => e);
      assert.ok(ended instanceof CommandExitError, String(ended));
      assert.equal(ended.stdout, 'before\n');
    } finally {
      await second?.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
