// A journey across apps: the real `paddock up` process, driven only through @paddock/client, the
// way the CLI and the web UI will drive it. Proves client and server agree on the wire.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import { isPaddockError } from '@paddock/core';
import {
  bwrapSkipReason,
  eventually,
  type PaddockProcess,
  startPaddockProcess,
} from '@paddock/testkit';

const v = 'paddock.dev/v1alpha1';

describe('sandbox journey through the client', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-e2e-'));
  let server: PaddockProcess;
  let paddock: PaddockClient;

  before(async () => {
    const main = fileURLToPath(new URL('../../apps/cli/src/main.ts', import.meta.url));
    server = await startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home]);
    paddock = createClient({ baseUrl: server.url });
  });

  after(async () => {
    try {
      for (const s of (await paddock.sandboxes.list()).items) {
        await paddock.sandboxes.delete(s.metadata.name ?? '').catch(() => {});
      }
      // Deletion runs through the finalizer: wait until the sandboxes are gone.
      await eventually(async () => (await paddock.sandboxes.list()).items.length === 0, {
        what: 'every sandbox deleted',
      });
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('creates a sandbox from a built-in template, runs a command, moves files and stops it', async () => {
    await paddock.sandboxes.create({
      apiVersion: v,
      kind: 'Sandbox',
      metadata: { name: 'journey' },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'python' } },
    });
    const running = await paddock.sandboxes.waitFor(
      'journey',
      (s) => s.status?.phase === 'Running',
      { timeoutMs: 30_000 },
    );
    assert.ok(
      ['cgroup-v2', 'cgroup-v1', 'rlimit'].includes(running.status?.limits ?? ''),
      `limits applied by ${running.status?.limits}`,
    );
    // The template's 1Gi holds, whichever mechanism applied it: 1.5 GiB touched is refused or
    // killed, 64 MiB is fine.
    const hog = (mib: number) =>
      paddock.sandboxes.exec('journey', {
        command: ['python3', '-c', `x = b"\\x01" * (${mib} << 20); print(len(x) >> 20)`],
      });
    assert.equal((await hog(64)).stdout, '64\n');
    assert.notEqual((await hog(1536)).exitCode, 0, 'over the memory limit');

    const result = await paddock.sandboxes.exec('journey', {
      command: ['python3', '-c', 'print(6 * 7)'],
    });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, '42\n');

    await paddock.sandboxes.files.write(
      'journey',
      '/workspace/note.txt',
      new TextEncoder().encode('kept\n'),
    );
    const listed = await paddock.sandboxes.files.list('journey', '/workspace');
    assert.ok(listed.items.some((f) => f.name === 'note.txt'));
    const back = await paddock.sandboxes.files.read('journey', '/workspace/note.txt');
    assert.equal(new TextDecoder().decode(back), 'kept\n');

    await assert.rejects(paddock.sandboxes.files.read('journey', '/workspace/../etc/shadow'), (e) =>
      isPaddockError(e, 'path_outside_sandbox'),
    );

    await paddock.sandboxes.stop('journey');
    const stopped = await paddock.sandboxes.waitFor(
      'journey',
      (s) => s.status?.phase === 'Stopped',
      { timeoutMs: 30_000 },
    );
    assert.equal(stopped.status?.reason, 'StoppedByUser');
    await paddock.sandboxes.start('journey');
    await paddock.sandboxes.waitFor('journey', (s) => s.status?.phase === 'Running', {
      timeoutMs: 30_000,
    });
    const again = await paddock.sandboxes.exec('journey', {
      command: ['cat', '/workspace/note.txt'],
    });
    assert.equal(again.stdout, 'kept\n', 'the workspace outlives a stop');
  });

  it('branches on error codes, not messages: policy violations come back together', async () => {
    await paddock.resources('ClusterPolicy').create({
      apiVersion: v,
      kind: 'ClusterPolicy',
      metadata: { name: 'default' },
      spec: { resources: { maxCpu: '100m' }, maxTimeout: '1m' },
    });
    try {
      await assert.rejects(
        paddock.sandboxes.create({
          apiVersion: v,
          kind: 'Sandbox',
          metadata: { name: 'too-big' },
          spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'python' } },
        }),
        (e) => {
          assert.ok(isPaddockError(e, 'policy_violation'), String(e));
          const codes = (e.details.violations as Array<{ code: string }>).map((x) => x.code).sort();
          assert.deepEqual(codes, ['cpu_limit_exceeded', 'timeout_exceeded']);
          return true;
        },
      );
    } finally {
      await paddock.resources('ClusterPolicy').delete('default');
    }
  });
});
