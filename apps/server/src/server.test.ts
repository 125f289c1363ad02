import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isPaddockError } from '@paddock/core';
import { assertSafeBinding, resolveConfig } from './config.ts';
import { type RunningServer, startServer } from './server.ts';

const sandboxManifest = {
  apiVersion: 'paddock.dev/v1alpha1',
  kind: 'Sandbox',
  metadata: { name: 'demo', namespace: 'default' },
  spec: { templateRef: { name: 'python' } },
};

describe('server over a real listener', () => {
  let server: RunningServer;
  before(async () => {
    const config = resolveConfig({ flags: { addr: '127.0.0.1:0' }, env: { PADDOCK_HOME: '/x' } });
    server = await startServer(config, () => {});
  });
  after(() => server.close());

  it('answers /healthz', async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('serves the JSON Schema of each kind', async () => {
    const res = await fetch(`${server.url}/api/v1/schemas/Sandbox`);
    assert.equal(res.status, 200);
    const schema = (await res.json()) as { properties: Record<string, unknown> };
    assert.deepEqual(Object.keys(schema.properties).sort(), [
      'apiVersion',
      'kind',
      'metadata',
      'spec',
      'status',
    ]);
  });

  it('validates a manifest and names every bad field in the error envelope', async () => {
    const ok = await fetch(`${server.url}/api/v1/validate`, {
      method: 'POST',
      body: JSON.stringify(sandboxManifest),
    });
    assert.equal(ok.status, 200);
    const bad = {
      ...sandboxManifest,
      spec: { templateRef: { name: 'Bad_Name' }, desiredState: 'Flying' },
    };
    const res = await fetch(`${server.url}/api/v1/validate`, {
      method: 'POST',
      body: JSON.stringify(bad),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as {
      error: { code: string; requestId: string; details: { issues: Array<{ path: string }> } };
    };
    assert.equal(body.error.code, 'validation_failed');
    assert.ok(body.error.requestId);
    assert.deepEqual(body.error.details.issues.map((i) => i.path).sort(), [
      'spec.desiredState',
      'spec.templateRef.name',
    ]);
  });

  it('rejects malformed JSON and unknown routes without a stack trace', async () => {
    const res = await fetch(`${server.url}/api/v1/validate`, { method: 'POST', body: '{"kind": ' });
    assert.equal(res.status, 400);
    const text = await res.text();
    assert.match(text, /not valid JSON/);
    assert.doesNotMatch(text, /at .*\.ts:\d+/);
    const missing = await fetch(`${server.url}/api/v1/nothing`);
    assert.equal(missing.status, 404);
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await fetch(`${server.url}/api/v1/validate`, {
      method: 'POST',
      body: 'x'.repeat(2 * 1024 * 1024),
    });
    assert.equal(res.status, 413);
  });
});

describe('configuration', () => {
  it('prefers flag over env over default', () => {
    assert.equal(resolveConfig({ flags: {}, env: {} }).addr.port, 7070);
    assert.equal(
      resolveConfig({ flags: {}, env: { PADDOCK_ADDR: '127.0.0.1:8080' } }).addr.port,
      8080,
    );
    assert.equal(
      resolveConfig({ flags: { addr: '127.0.0.1:9090' }, env: { PADDOCK_ADDR: '127.0.0.1:8080' } })
        .addr.port,
      9090,
    );
  });

  it('lists every bad value at once', () => {
    assert.throws(
      () => resolveConfig({ flags: { addr: 'nope', home: '' }, env: {} }),
      (error) =>
        isPaddockError(error, 'validation_failed') &&
        /addr/.test(error.message) &&
        /home/.test(error.message),
    );
  });

  it('refuses a non-loopback address without auth, saying why', () => {
    const config = resolveConfig({ flags: { addr: '0.0.0.0:7070' }, env: {} });
    assert.throws(() => assertSafeBinding(config), /loopback/);
    assert.doesNotThrow(() =>
      assertSafeBinding(resolveConfig({ flags: { addr: '[::1]:7070' }, env: {} })),
    );
  });
});

describe('paddock up (the real CLI process)', () => {
  it('starts, serves, and stops cleanly on SIGTERM', async () => {
    const home = mkdtempSync(join(tmpdir(), 'paddock-up-'));
    const cli = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
    const child = spawn(process.execPath, [cli, 'up', '--addr', '127.0.0.1:0', '--home', home], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = stderr.match(/listening on (http:\/\/\S+)/);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  });
});
