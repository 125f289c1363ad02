import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { bwrapSkipReason, eventually, mountSmallDisk, type SmallDisk } from '@paddock/testkit';
import { API, startTestServer, type TestServer } from './test-server.ts';

/** Deletes the filler files from the host, so that cleanup can run whatever the test left. */
function freeFromHost(home: string): void {
  const root = join(home, 'sandboxes');
  if (existsSync(root)) execFileSync('find', [root, '-name', 'big', '-delete'], { stdio: 'pipe' });
}

/** A shell command that writes until the disk is full (head then fails with ENOSPC). */
const FILL = 'head -c 200000000 /dev/zero > /workspace/big; df -k /workspace | tail -1';

type Envelope = { error: { code: string; message: string; requestId: string } };

describe('a full data disk', { skip: bwrapSkipReason() }, () => {
  // PADDOCK_HOME is a 64 MiB disk of its own, which a sandbox fills from inside.
  let disk: SmallDisk | undefined;
  let skipReason = '';
  let s: TestServer | undefined;
  /** False (the test reports itself skipped) when there is no small disk to fill here. */
  const isReady = (t: TestContext) => {
    if (skipReason !== '') t.skip(skipReason);
    return skipReason === '';
  };
  const sandboxes = '/api/v1/namespaces/default/sandboxes';
  const server = () => {
    assert.ok(s);
    return s;
  };
  const create = (name: string) =>
    server().call(sandboxes, {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Sandbox',
        metadata: { name },
        spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
      }),
    });
  const phaseOf = async (name: string) =>
    (
      (await (await server().call(`${sandboxes}/${name}`)).json()) as {
        status?: { phase?: string };
      }
    ).status?.phase;
  const waitFor = (name: string, phase: string) =>
    eventually(async () => ((await phaseOf(name)) === phase ? phase : undefined), {
      timeoutMs: 60_000,
      what: `${name} ${phase}`,
    });
  const exec = async (name: string, command: string[]) => {
    const res = await server().call(`${sandboxes}/${name}/exec`, {
      method: 'POST',
      body: JSON.stringify({ command }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  before(async () => {
    const mounted = mountSmallDisk(64);
    if ('skip' in mounted) {
      skipReason = mounted.skip;
      return;
    }
    disk = mounted;
    s = await startTestServer({ home: disk.dir });
    assert.equal((await create('filler')).status, 201);
    await waitFor('filler', 'Running');
    const fill = await exec('filler', ['sh', '-c', FILL]);
    assert.equal(fill.status, 200, JSON.stringify(fill.body));
    assert.match(String(fill.body.stdout), /\s100%/, 'the disk is full');
  });

  after(async () => {
    try {
      if (disk) freeFromHost(disk.dir);
      await s?.close();
    } finally {
      disk?.unmount();
    }
  });

  it('refuses a create with 507 insufficient_storage', async (t) => {
    if (!isReady(t)) return;
    const res = await create('refused');
    const body = (await res.json()) as Envelope;
    assert.equal(res.status, 507, JSON.stringify(body));
    assert.equal(body.error.code, 'insufficient_storage');
    assert.match(body.error.message, /disk|space/i);
    assert.ok(body.error.requestId);
  });

  it('refuses an upload with 507 insufficient_storage', async (t) => {
    if (!isReady(t)) return;
    const res = await server().call(`${sandboxes}/filler/files?path=/workspace/more.txt`, {
      method: 'PUT',
      body: new Uint8Array(256 * 1024),
    });
    const body = (await res.json()) as Envelope;
    assert.equal(res.status, 507, JSON.stringify(body));
    assert.equal(body.error.code, 'insufficient_storage');
  });

  it('still runs rm inside the sandbox, and a create succeeds once space is back', async (t) => {
    if (!isReady(t)) return;
    const rm = await exec('filler', ['rm', '-f', '/workspace/big']);
    assert.equal(rm.status, 200, JSON.stringify(rm.body));
    assert.equal(rm.body.exitCode, 0, JSON.stringify(rm.body));
    const res = await create('after');
    assert.equal(res.status, 201, await res.text());
    await waitFor('after', 'Running');
  });

  it('stops and deletes sandboxes while the disk is full, then creates again', async (t) => {
    if (!isReady(t)) return;
    const fill = await exec('after', ['sh', '-c', FILL]);
    assert.match(String(fill.body.stdout), /\s100%/, 'the disk is full again');
    assert.equal((await create('refused-again')).status, 507);
    const stop = await server().call(`${sandboxes}/filler/stop`, { method: 'POST' });
    assert.equal(stop.status, 200, await stop.text());
    await waitFor('filler', 'Stopped');
    const del = await server().call(`${sandboxes}/after`, { method: 'DELETE' });
    assert.ok(del.status < 300, await del.text());
    await eventually(async () => (await server().call(`${sandboxes}/after`)).status === 404, {
      timeoutMs: 60_000,
      what: 'after deleted',
    });
    // Their audit records were committed on the full disk too (the store drew on its reserve).
    const audit = await server().call('/api/v1/audit?limit=20');
    type Item = { action: string; result: string; code?: string; target: string };
    const items = ((await audit.json()) as { items: Item[] }).items;
    const has = (action: string, result: string, code?: string) =>
      items.some((r) => r.action === action && r.result === result && r.code === code);
    assert.ok(has('sandbox.create', 'failure', 'insufficient_storage'), JSON.stringify(items));
    assert.ok(has('sandbox.stop', 'success'), JSON.stringify(items));
    assert.ok(has('sandbox.delete', 'success'), JSON.stringify(items));
    const res = await create('again');
    assert.equal(res.status, 201, await res.text());
    await waitFor('again', 'Running');
  });
});
