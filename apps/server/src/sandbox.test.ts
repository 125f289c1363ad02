import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { API, createRunningSandbox, startTestServer, type TestServer } from './test-server.ts';

describe('sandboxes over HTTP on the real bubblewrap runtime', {
  skip: bwrapSkipReason(),
}, () => {
  let s: TestServer;
  const base = '/api/v1/namespaces/default/sandboxes/box';
  const phaseOf = async () =>
    ((await (await s.call(base)).json()) as { status?: { phase?: string } }).status?.phase;
  const waitFor = (phase: string) =>
    eventually(async () => ((await phaseOf()) === phase ? phase : undefined), {
      timeoutMs: 60_000,
      what: `phase ${phase}`,
    });

  before(async () => {
    s = await startTestServer();
    await createRunningSandbox(s, 'box');
  });
  after(() => s.close());

  it('runs a command and returns its output', async () => {
    const res = await s.call(`${base}/exec`, {
      method: 'POST',
      body: JSON.stringify({ command: ['echo', 'hi'] }),
    });
    assert.equal(res.status, 200);
    const result = (await res.json()) as { exitCode: number; stdout: string; stderr: string };
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, 'hi\n');
    const piped = await s.call(`${base}/exec`, {
      method: 'POST',
      body: JSON.stringify({ command: ['sh', '-c', 'cat; exit 3'], stdin: 'in' }),
    });
    assert.deepEqual(((await piped.json()) as { exitCode: number; stdout: string }).stdout, 'in');
  });

  it('streams exec output as NDJSON', async () => {
    const res = await s.call(`${base}/exec/stream`, {
      method: 'POST',
      body: JSON.stringify({ command: ['sh', '-c', 'echo out; echo err >&2'] }),
    });
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data?: string; exitCode?: number });
    assert.equal(lines[0]?.type, 'started');
    assert.equal(lines.at(-1)?.type, 'exit');
    assert.equal(lines.at(-1)?.exitCode, 0);
    assert.equal(
      lines
        .filter((l) => l.type === 'stdout')
        .map((l) => l.data)
        .join(''),
      'out\n',
    );
  });

  it('writes, reads, lists and moves files, and refuses paths outside the sandbox', async () => {
    const put = await s.call(`${base}/files?path=/workspace/dir/a.txt`, {
      method: 'PUT',
      body: new TextEncoder().encode('hello\n'),
    });
    assert.equal(put.status, 200, await put.clone().text());
    const read = await s.call(`${base}/files?path=/workspace/dir/a.txt`);
    assert.equal(await read.text(), 'hello\n');
    const list = (await (await s.call(`${base}/files/list?path=/workspace/dir`)).json()) as {
      items: Array<{ name: string }>;
    };
    assert.deepEqual(
      list.items.map((i) => i.name),
      ['a.txt'],
    );
    const moved = await s.call(`${base}/files/move`, {
      method: 'POST',
      body: JSON.stringify({ from: '/workspace/dir/a.txt', to: '/workspace/b.txt' }),
    });
    assert.equal(moved.status, 200);
    const cat = await s.call(`${base}/exec`, {
      method: 'POST',
      body: JSON.stringify({ command: ['cat', '/workspace/b.txt'] }),
    });
    assert.equal(((await cat.json()) as { stdout: string }).stdout, 'hello\n');
    for (const path of ['/workspace/../etc/passwd', '/workspace/../../root/.ssh/id_rsa']) {
      const res = await s.call(`${base}/files?path=${encodeURIComponent(path)}`);
      assert.equal(res.status, 400, path);
      assert.equal(
        ((await res.json()) as { error: { code: string } }).error.code,
        'path_outside_sandbox',
      );
    }
    const tar = await s.call(`${base}/files/archive?path=/workspace`);
    assert.equal(tar.headers.get('content-type'), 'application/x-tar');
    // The archive holds the workspace's files with their contents.
    const unpacked = mkdtempSync(join(tmpdir(), 'paddock-archive-'));
    try {
      execFileSync('tar', ['-x', '-C', unpacked], { input: Buffer.from(await tar.arrayBuffer()) });
      const found = execFileSync('find', ['.', '-name', 'b.txt'], {
        cwd: unpacked,
        encoding: 'utf8',
      })
        .trim()
        .split('\n')[0];
      assert.ok(found, 'b.txt is in the archive');
      assert.equal(readFileSync(join(unpacked, found), 'utf8'), 'hello\n');
    } finally {
      rmSync(unpacked, { recursive: true, force: true });
    }
  });

  it("serves the main process's logs", async () => {
    const res = await s.call('/api/v1/namespaces/default/sandboxes', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Sandbox',
        metadata: { name: 'talker' },
        spec: {
          templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
          overrides: { command: ['sh', '-c', 'echo one; echo two; sleep 600'] },
        },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const logs = '/api/v1/namespaces/default/sandboxes/talker/logs';
    const text = await eventually(
      async () => {
        const got = await (await s.call(logs)).text();
        return got.includes('two') ? got : undefined;
      },
      { timeoutMs: 60_000, what: 'logs' },
    );
    assert.equal(text, 'one\ntwo\n');
    assert.equal(await (await s.call(`${logs}?tailLines=1`)).text(), 'two\n');
    await s.call('/api/v1/namespaces/default/sandboxes/talker', { method: 'DELETE' });
  });

  it('stops and starts again, keeping the workspace; exec on a stopped sandbox is 409', async () => {
    await s.call(`${base}/files?path=/workspace/keep.txt`, { method: 'PUT', body: 'kept' });
    assert.equal((await s.call(`${base}/stop`, { method: 'POST' })).status, 200);
    await waitFor('Stopped');
    const refused = await s.call(`${base}/exec`, {
      method: 'POST',
      body: JSON.stringify({ command: ['true'] }),
    });
    assert.equal(refused.status, 409);
    assert.equal(
      ((await refused.json()) as { error: { code: string } }).error.code,
      'invalid_transition',
    );
    assert.equal((await s.call(`${base}/start`, { method: 'POST' })).status, 200);
    await waitFor('Running');
    const cat = await s.call(`${base}/exec`, {
      method: 'POST',
      body: JSON.stringify({ command: ['cat', '/workspace/keep.txt'] }),
    });
    assert.equal(((await cat.json()) as { stdout: string }).stdout, 'kept');
    // One event per step of its life, in order; each is recorded after the status write it
    // describes, so the last may still be on its way.
    const reasons = await eventually(async () => {
      const events = (await (await s.call(`${base}/events`)).json()) as {
        items: Array<{ reason: string }>;
      };
      const seen = events.items.map((e) => e.reason);
      return seen.includes('Started') ? seen : undefined;
    });
    assert.deepEqual(reasons, [
      'Admitted',
      'Provisioned',
      'StopRequested',
      'Stopped',
      'StartRequested',
      'Started',
    ]);
    const metrics = await (await s.call('/metrics')).text();
    assert.match(metrics, /paddock_sandboxes\{phase="Running"\} 1/);
    assert.match(metrics, /paddock_execs_total\{result="success"\} \d+/);
  });
});
