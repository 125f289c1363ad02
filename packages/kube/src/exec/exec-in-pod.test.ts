import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { KubeClient } from '../client/kube-client.ts';
import { ChannelProtocol } from './channel-protocol.ts';
import { execInPod } from './exec-in-pod.ts';
import { type Fixture, POD, readText, startFixture, toEnd } from './exec-test-support.ts';
import { startPodStandIn } from './stand-in-pods.ts';

describe('execInPod against the stand-in API server (v5)', () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await startFixture();
  });
  after(() => fixture?.close());

  it('keeps stdout and stderr apart and reports exit code 0', async () => {
    const handle = await execInPod(fixture.client, {
      ...POD,
      command: ['sh', '-c', 'echo out; echo err >&2'],
    });
    assert.deepEqual(await toEnd(handle), {
      stdout: 'out\n',
      stderr: 'err\n',
      exit: { exitCode: 0, signal: null, timedOut: false },
    });
    assert.equal(fixture.standIn.sessions.at(-1), `exec ${ChannelProtocol.V5}`);
  });

  it('reports non-zero exit codes from the error channel', async () => {
    const one = await toEnd(await execInPod(fixture.client, { ...POD, command: ['false'] }));
    assert.equal(one.exit.exitCode, 1);
    const seven = await toEnd(
      await execInPod(fixture.client, { ...POD, command: ['sh', '-c', 'exit 7'] }),
    );
    assert.equal(seven.exit.exitCode, 7);
  });

  it('reports 127 for a program that does not exist, wrapped (the shell says it) or not (the runtime does)', async () => {
    const wrapped = await toEnd(
      await execInPod(fixture.client, { ...POD, command: ['no-such-program-x'] }),
    );
    assert.equal(wrapped.exit.exitCode, 127);
    assert.match(wrapped.stderr, /not found/);
    const bare = await toEnd(
      await execInPod(fixture.client, { ...POD, command: ['no-such-program-x'], wrap: false }),
    );
    assert.equal(bare.exit.exitCode, 127);
  });

  it('sets env and cwd, and fails a cwd that does not exist before the program runs', async () => {
    const run = await toEnd(
      await execInPod(fixture.client, {
        ...POD,
        command: ['sh', '-c', 'echo "$GREETING"; pwd'],
        env: { GREETING: 'hello world $x' },
        cwd: '/usr',
      }),
    );
    assert.equal(run.stdout, 'hello world $x\n/usr\n');
    const missing = await toEnd(
      await execInPod(fixture.client, { ...POD, command: ['pwd'], cwd: '/no/such/dir' }),
    );
    assert.notEqual(missing.exit.exitCode, 0);
    assert.equal(missing.stdout, '');
  });

  it('passes stdin and closes it (v5), so cat ends', async () => {
    const result = await toEnd(
      await execInPod(fixture.client, { ...POD, command: ['cat'] }),
      'line one\nline two\n',
    );
    assert.equal(result.stdout, 'line one\nline two\n');
    assert.equal(result.exit.exitCode, 0);
  });

  it('runs on a terminal whose size follows resize', async () => {
    const handle = await execInPod(fixture.client, {
      ...POD,
      command: ['sh', '-c', 'stty size; read line; stty size'],
      tty: true,
      cols: 100,
      rows: 30,
    });
    const reader = handle.stdout.getReader();
    let seen = '';
    while (!seen.includes('30 100')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += Buffer.from(value).toString('utf8');
    }
    assert.match(seen, /30 100/);
    await handle.resize(132, 43);
    const writer = handle.stdin.getWriter();
    await writer.write(Buffer.from('\n'));
    while (!seen.includes('43 132')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += Buffer.from(value).toString('utf8');
    }
    assert.match(seen, /43 132/);
    assert.equal((await handle.exit).exitCode, 0);
    assert.doesNotMatch(seen, /paddock-pid/, 'the wrapper pid marker is taken out');
  });

  it('holds a command back while its output is not read, and delivers it all', async () => {
    const sizeBytes = 32 * 1024 * 1024;
    const handle = await execInPod(fixture.client, {
      ...POD,
      command: ['head', '-c', String(sizeBytes), '/dev/zero'],
      stdin: false,
    });
    let isExited = false;
    void handle.exit.then(() => {
      isExited = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(isExited, false, 'the command waits while its output is not read');
    let total = 0;
    for await (const chunk of handle.stdout) {
      total += chunk.byteLength;
      assert.ok(chunk.every((byte) => byte === 0));
    }
    assert.equal(total, sizeBytes);
    assert.equal((await handle.exit).exitCode, 0);
  });

  it('kills a command at its timeout (its whole process group) and says so', async () => {
    const handle = await execInPod(fixture.client, {
      ...POD,
      command: ['sh', '-c', 'sleep 60 & echo $!; sleep 60'],
      timeoutMs: 300,
    });
    const result = await toEnd(handle);
    assert.deepEqual(result.exit, { exitCode: null, signal: 'SIGKILL', timedOut: true });
    const child = Number(result.stdout.trim());
    assert.ok(child > 0);
    await waitFor(
      () => fixture.standIn.running().length === 0 && !isAlive(child),
      'the command and its background child are gone',
    );
  });

  it('sends signals through a second exec, and reads 128+n back as the signal', async () => {
    const handle = await execInPod(fixture.client, { ...POD, command: ['sleep', '60'] });
    await handle.signal('SIGTERM');
    assert.deepEqual(await handle.exit, { exitCode: null, signal: 'SIGTERM', timedOut: false });
    await assert.rejects(handle.signal('SIGNOPE'), (error) =>
      isPaddockError(error, 'validation_failed'),
    );
    const bare = await execInPod(fixture.client, { ...POD, command: ['sleep', '60'], wrap: false });
    await assert.rejects(bare.signal('SIGTERM'), (error) =>
      isPaddockError(error, 'runtime_unavailable'),
    );
    await bare.stdin.close();
    for (const pid of fixture.standIn.running()) process.kill(pid, 'SIGKILL');
    assert.equal((await bare.exit).exitCode, 137);
    await readText(bare.stdout);
  });

  it('cuts the connection of an unwrapped exec at SIGKILL: the command loses its output and ends', async () => {
    const handle = await execInPod(fixture.client, {
      ...POD,
      command: ['yes', 'more'],
      wrap: false,
      stdin: false,
    });
    const reader = handle.stdout.getReader();
    assert.match(Buffer.from((await reader.read()).value ?? []).toString('utf8'), /^more\n/);
    assert.equal(fixture.standIn.running().length, 1);
    await handle.signal('SIGKILL');
    assert.deepEqual(await handle.exit, { exitCode: null, signal: 'SIGKILL', timedOut: false });
    // The stand-in saw the connection end and closed the command's pipes: `yes` died writing.
    await waitFor(() => fixture.standIn.running().length === 0, 'the command is gone');
    await reader.cancel();
  });

  it('cuts the connection of a wrapped exec whose SIGKILL could not be sent, as of an unwrapped one', async () => {
    let isPodThere = true;
    const standIn = await startPodStandIn({
      pods: (namespace, name) =>
        isPodThere ? { namespace, name, containers: [POD.container] } : undefined,
    });
    const client = await KubeClient.fromKubeconfig(standIn.kubeconfig);
    try {
      const handle = await execInPod(client, { ...POD, command: ['yes', 'more'], stdin: false });
      const reader = handle.stdout.getReader();
      assert.match(Buffer.from((await reader.read()).value ?? []).toString('utf8'), /more\n/);
      isPodThere = false;
      await handle.signal('SIGKILL');
      assert.deepEqual(await handle.exit, { exitCode: null, signal: 'SIGKILL', timedOut: false });
      await waitFor(() => standIn.running().length === 0, 'the command is gone');
      await reader.cancel();
    } finally {
      client.close();
      await standIn.close();
    }
  });

  it('asks for the streams it uses and sends its frames byte for byte', async () => {
    const first = fixture.standIn.frames.length;
    const piped = await toEnd(
      await execInPod(fixture.client, { ...POD, command: ['cat'], wrap: false }),
      'ab',
    );
    assert.equal(piped.stdout, 'ab');
    const url = new URL(fixture.standIn.requests.at(-1) ?? '', 'http://stand-in');
    assert.equal(url.pathname, '/api/v1/namespaces/team-a/pods/box/exec');
    assert.equal(
      url.search,
      '?command=cat&container=main&stdin=true&stdout=true&stderr=true&tty=false',
    );
    assert.deepEqual(fixture.standIn.frames.slice(first), [
      Buffer.from([0x00, 0x61, 0x62]),
      Buffer.from([0xff, 0x00]),
    ]);

    const second = fixture.standIn.frames.length;
    const handle = await execInPod(fixture.client, {
      ...POD,
      command: ['sh', '-c', 'read x'],
      wrap: false,
      tty: true,
      cols: 100,
      rows: 30,
    });
    await handle.resize(120, 50);
    const terminal = await toEnd(handle, '\n');
    assert.equal(terminal.exit.exitCode, 0);
    const query = new URL(fixture.standIn.requests.at(-1) ?? '', 'http://stand-in').searchParams;
    assert.equal(query.get('stderr'), 'false', 'a terminal has no stderr');
    assert.equal(query.get('tty'), 'true');
    assert.deepEqual(
      fixture.standIn.frames.slice(second).map((frame) => frame.toString('latin1')),
      ['\x04{"Width":100,"Height":30}', '\x04{"Width":120,"Height":50}', '\x00\n', '\xff\x00'],
    );
  });

  it('refuses bad requests before connecting', async () => {
    const before = fixture.standIn.sessions.length;
    for (const request of [
      { command: [] },
      { command: ['ls'], cwd: 'relative' },
      { command: ['ls'], env: { 'BAD-NAME': 'x' } },
      { command: ['ls'], timeoutMs: 1.5 },
      { command: ['ls'], wrap: false, env: { A: 'b' } },
    ]) {
      await assert.rejects(execInPod(fixture.client, { ...POD, ...request }), (error) =>
        isPaddockError(error, 'validation_failed'),
      );
    }
    assert.equal(fixture.standIn.sessions.length, before);
  });

  it('authenticates as the client does: another token is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paddock-kubeconfig-'));
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      readFileSync(fixture.standIn.kubeconfig, 'utf8').replace('pod-stand-in-token', 'stolen'),
    );
    const stranger = await KubeClient.fromKubeconfig(path);
    try {
      await assert.rejects(execInPod(stranger, { ...POD, command: ['ls'] }), (error) =>
        isPaddockError(error, 'unauthenticated'),
      );
    } finally {
      stranger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('translates the API server refusing the upgrade', async () => {
    await assert.rejects(
      execInPod(fixture.client, { ...POD, pod: 'gone', command: ['ls'] }),
      (error) => isPaddockError(error, 'not_found') && /pods "gone" not found/.test(error.message),
    );
    await assert.rejects(
      execInPod(fixture.client, { ...POD, container: 'sidecar', command: ['ls'] }),
      (error) => isPaddockError(error, 'validation_failed'),
    );
  });
});

describe('execInPod against an API server that offers v4 only', () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await startFixture([ChannelProtocol.V4]);
  });
  after(() => fixture?.close());

  it('falls back to v4: output and exit codes as under v5', async () => {
    const result = await toEnd(
      await execInPod(fixture.client, { ...POD, command: ['sh', '-c', 'echo v4; exit 3'] }),
    );
    assert.equal(result.stdout, 'v4\n');
    assert.equal(result.exit.exitCode, 3);
    assert.equal(fixture.standIn.sessions.at(-1), `exec ${ChannelProtocol.V4}`);
  });

  it('cannot end stdin under v4: cat keeps waiting until its timeout', async () => {
    const result = await toEnd(
      await execInPod(fixture.client, { ...POD, command: ['cat'], timeoutMs: 500 }),
      'hi\n',
    );
    assert.equal(result.stdout, 'hi\n');
    assert.equal(result.exit.timedOut, true);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting until ${what}`);
}
