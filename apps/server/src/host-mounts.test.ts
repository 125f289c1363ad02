// Template host mounts over HTTP: governed at admission (nothing stored when refused), checked
// again with symlinks resolved when the sandbox starts, bound into the sandbox when allowed.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { API, createRunningSandbox, startTestServer, type TestServer } from './test-server.ts';

type ErrorBody = {
  error: {
    code: string;
    message: string;
    details: {
      violations?: Array<{ code: string; field: string }>;
      issues?: Array<{ path: string; message: string }>;
    };
  };
};

describe('template host mounts over HTTP', () => {
  let s: TestServer;
  let hostDir: string;
  let allowed: string;
  const post = (path: string, body: unknown) =>
    s.call(path, { method: 'POST', body: JSON.stringify(body) });
  const template = (name: string, mounts: unknown[]) =>
    post('/api/v1/clustersandboxtemplates', {
      apiVersion: API,
      kind: 'ClusterSandboxTemplate',
      metadata: { name },
      spec: { mounts },
    });
  const sandbox = (name: string, templateName: string) =>
    post('/api/v1/namespaces/default/sandboxes', {
      apiVersion: API,
      kind: 'Sandbox',
      metadata: { name },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: templateName } },
    });

  before(async () => {
    hostDir = mkdtempSync(join(tmpdir(), 'paddock-server-mounts-'));
    allowed = join(hostDir, 'allowed');
    mkdirSync(join(allowed, 'data'), { recursive: true });
    mkdirSync(join(hostDir, 'outside'));
    writeFileSync(join(allowed, 'data', 'hello.txt'), 'from the host');
    chmodSync(join(allowed, 'data'), 0o755);
    symlinkSync(join(hostDir, 'outside'), join(allowed, 'escape'));
    s = await startTestServer();
    const res = await post('/api/v1/clusterpolicies', {
      apiVersion: API,
      kind: 'ClusterPolicy',
      metadata: { name: 'default' },
      spec: { allowedHostPaths: [allowed] },
    });
    assert.equal(res.status, 201, await res.text());
  });
  after(async () => {
    await s?.close();
    if (hostDir !== undefined) rmSync(hostDir, { recursive: true, force: true });
  });

  it('refuses a sandbox whose template mounts a host path outside the allowed roots; nothing is stored', async () => {
    const created = await template('outside', [
      { name: 'secret', mountPath: '/data', hostPath: join(hostDir, 'outside') },
    ]);
    assert.equal(created.status, 201, await created.text());
    const res = await sandbox('greedy', 'outside');
    assert.equal(res.status, 403);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error.code, 'policy_violation');
    assert.deepEqual(
      body.error.details.violations?.map((v) => `${v.code}@${v.field}`),
      ['host_path_not_allowed@spec.mounts[0].hostPath'],
    );
    assert.equal((await s.call('/api/v1/namespaces/default/sandboxes/greedy')).status, 404);
  });

  it('refuses bad mount values in a template with the field named; nothing is stored', async () => {
    const res = await template('bad', [
      { name: 'etc', mountPath: '/etc/app', hostPath: join(allowed, 'data') },
      { name: 'both', mountPath: '/both', hostPath: join(allowed, 'data'), credential: 'x' },
    ]);
    assert.equal(res.status, 400);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error.code, 'validation_failed');
    assert.deepEqual(
      body.error.details.issues?.map((issue) => issue.path),
      ['spec.mounts[0].mountPath', 'spec.mounts[1].credential'],
    );
    assert.equal((await s.call('/api/v1/clustersandboxtemplates/bad')).status, 404);
  });

  describe('on the real bubblewrap runtime', { skip: bwrapSkipReason() }, () => {
    it('binds an allowed host directory read-only', async () => {
      const created = await template('data', [
        { name: 'data', mountPath: '/data', hostPath: join(allowed, 'data'), readOnly: true },
      ]);
      assert.equal(created.status, 201, await created.text());
      await createRunningSandbox(s, 'reader', {
        template: { kind: 'ClusterSandboxTemplate', name: 'data' },
      });
      const res = await s.call('/api/v1/namespaces/default/sandboxes/reader/exec', {
        method: 'POST',
        body: JSON.stringify({ command: ['sh', '-c', 'cat /data/hello.txt; touch /data/x'] }),
      });
      const result = (await res.json()) as { exitCode: number; stdout: string; stderr: string };
      assert.equal(result.stdout, 'from the host');
      assert.match(result.stderr, /Read-only file system/);
    });

    it('puts a sandbox whose host path is a symlink out of the allowed root in Error', async () => {
      const created = await template('link', [
        { name: 'link', mountPath: '/data', hostPath: join(allowed, 'escape') },
      ]);
      assert.equal(created.status, 201, await created.text());
      // Admission sees the path as written, inside the root; the runtime resolves the link.
      const res = await sandbox('linked', 'link');
      assert.equal(res.status, 201, await res.text());
      const status = await eventually(
        async () => {
          const got = await s.call('/api/v1/namespaces/default/sandboxes/linked');
          const body = (await got.json()) as {
            status?: { phase?: string; conditions?: Array<{ type: string; message?: string }> };
          };
          return body.status?.phase === 'Error' || body.status?.phase === 'Running'
            ? body.status
            : undefined;
        },
        { timeoutMs: 60_000, what: 'sandbox linked settled' },
      );
      assert.equal(status.phase, 'Error');
      assert.match(JSON.stringify(status), /spec\.mounts\[0\]\.hostPath/);
      assert.match(JSON.stringify(status), /resolves to/);
    });
  });
});
