// Credentials end to end: the write-only API and its audit, the gateway's provider key from a
// stored credential (no key in the server's env), and env and file delivery into a run's sandbox.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Run } from '@paddock/core';
import {
  bwrapSkipReason,
  type RecordedRequest,
  type ScriptedLlm,
  type ScriptedTurn,
  startScriptedLlm,
} from '@paddock/testkit';
import { finishedRun, lastToolResult } from './run-test-support.ts';
import { API, startTestServer, type TestServer } from './test-server.ts';

const STORED_KEY = 'sk-ant-stored-credential-key-that-must-stay-on-the-host';
const ENV_SECRET = 'env-secret-value-0123456789';
const FILE_SECRET = 'file-secret-token-0123456789';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, read field by field in assertions.
type Json = any;

describe('credentials API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('stores values write-only, lists without them, audits create and delete', async () => {
    const base = '/api/v1/namespaces/default/credentials';
    const created = await server.call(base, {
      method: 'POST',
      body: JSON.stringify({ name: 'token', type: 'env', value: ENV_SECRET, description: 'ci' }),
    });
    const createdText = await created.text();
    assert.equal(created.status, 201, createdText);
    assert.ok(!createdText.includes(ENV_SECRET));
    assert.equal(JSON.parse(createdText).owner, 'anonymous');
    const again = await server.call(base, {
      method: 'POST',
      body: JSON.stringify({ name: 'token', type: 'env', value: 'x' }),
    });
    assert.equal(again.status, 409);
    const listText = await (await server.call(base)).text();
    assert.ok(!listText.includes(ENV_SECRET));
    const list: Json = JSON.parse(listText);
    assert.equal(list.kind, 'CredentialList');
    assert.deepEqual(
      list.items.map((c: Json) => [c.name, c.type, c.description]),
      [['token', 'env', 'ci']],
    );
    const got: Json = await (await server.call(`${base}/token`)).json();
    assert.equal(got.name, 'token');
    assert.equal(Object.hasOwn(got, 'value'), false);
    const bad = await server.call(base, {
      method: 'POST',
      body: JSON.stringify({ name: 'both', type: 'env', value: 'a', valueBase64: 'YQ==' }),
    });
    assert.equal(bad.status, 400);
    assert.equal((await server.call(`${base}/token`, { method: 'DELETE' })).status, 200);
    assert.equal((await server.call(`${base}/token`)).status, 404);
    const audit: Json = await (await server.call('/api/v1/audit?limit=20')).json();
    const actions = audit.items.map((r: Json) => r.action);
    assert.ok(actions.includes('credential.create'));
    assert.ok(actions.includes('credential.delete'));
    assert.ok(!JSON.stringify(audit).includes(ENV_SECRET), 'the audit log never holds a value');
    // The value is encrypted at rest: not in any database file.
    for (const file of readdirSync(server.home).filter((f) => f.startsWith('paddock.db'))) {
      assert.equal(readFileSync(join(server.home, file)).indexOf(ENV_SECRET), -1, file);
    }
  });
});

describe('credentials in runs', { skip: bwrapSkipReason(), timeout: 180_000 }, () => {
  let llm: ScriptedLlm;
  let server: TestServer;
  let turns: Array<(request: RecordedRequest) => ScriptedTurn> = [];
  const dirs: string[] = [];

  before(async () => {
    llm = await startScriptedLlm({
      requireKey: STORED_KEY,
      script: (request) => {
        const next = turns.shift();
        return next ? next(request) : { error: { status: 500, message: 'script exhausted' } };
      },
    });
    // No ANTHROPIC_API_KEY in the server's environment: the key comes from a credential.
    server = await startTestServer({ 'anthropic-base-url': llm.url }, {});
  });

  after(async () => {
    await server?.close();
    await llm?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const createCredential = async (namespace: string, body: Record<string, unknown>) => {
    const res = await server.call(`/api/v1/namespaces/${namespace}/credentials`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, await res.text());
  };

  const finished = (name: string): Promise<Json> => finishedRun(server, name);

  it('uses the stored provider key upstream, delivers env and files, and keeps the key out', async () => {
    await createCredential('paddock-system', {
      name: 'anthropic',
      type: 'apiKey',
      value: STORED_KEY,
    });
    await createCredential('default', { name: 'token', type: 'env', value: ENV_SECRET });
    const dir = mkdtempSync(join(tmpdir(), 'paddock-login-'));
    dirs.push(dir);
    mkdirSync(join(dir, '.claude'));
    writeFileSync(join(dir, '.claude', '.credentials.json'), `{"token":"${FILE_SECRET}"}\n`);
    const tar = execFileSync('tar', ['-c', '-f', '-', '-C', dir, '.claude']);
    await createCredential('default', {
      name: 'claude-login',
      type: 'files',
      valueBase64: tar.toString('base64'),
    });

    turns = [
      () => ({
        toolCalls: [
          {
            name: 'bash',
            input: {
              command:
                'echo "ENV=$MY_TOKEN"; cat /home/user/.claude/.credentials.json; (echo x > /home/user/.claude/.credentials.json) 2>/dev/null && echo WROTE || echo READONLY; (chmod -R u+w /home/user/.claude || rm -rf /home/user/.claude || mv /home/user/.claude /tmp/moved || umount /home/user/.claude) 2>/dev/null && echo CHANGED || echo UNCHANGEABLE; cat /home/user/.claude/.credentials.json; cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr "\\0" " "; grep -rl "stored-cred""ential-key" /workspace /tmp /home /etc /run 2>/dev/null; echo END',
            },
          },
        ],
      }),
      (request) => ({ text: lastToolResult(request) }),
    ];
    const res = await server.call('/api/v1/namespaces/default/runs', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Run',
        metadata: { name: 'creds' },
        spec: {
          agent: {
            harness: { kind: 'builtin' },
            provider: 'anthropic',
            model: 'claude-sonnet-4-5',
            credentials: [
              { name: 'token', as: 'env', env: 'MY_TOKEN' },
              { name: 'claude-login', as: 'file', mountPath: '/home/user/.claude' },
            ],
          },
          prompt: 'show me',
        },
      }),
    });
    assert.equal(res.status, 201, await res.text());
    const run = await finished('creds');
    assert.equal(run.status.phase, 'Succeeded', JSON.stringify(run.status));
    const output = String(run.status.result.text);
    assert.match(output, new RegExp(`ENV=${ENV_SECRET}`));
    assert.ok(output.includes(FILE_SECRET), 'the login file is in place');
    // Whole lines: the script's own text comes back too, in the dump of command lines.
    const lines = output.split('\n');
    assert.ok(lines.includes('READONLY') && !lines.includes('WROTE'), output);
    assert.ok(
      lines.includes('UNCHANGEABLE') && !lines.includes('CHANGED'),
      'chmod, rm, mv and umount of the bound files all fail',
    );
    assert.equal(
      lines.filter((line) => line.includes(FILE_SECRET)).length,
      2,
      'read before and after',
    );
    assert.match(output, /END/);
    assert.ok(!output.includes(STORED_KEY), 'the provider key is nowhere in the sandbox');
    assert.ok(!output.includes('stored-credential-key'), 'no file in the sandbox holds the key');
    // Upstream saw the stored key on every call.
    assert.equal(llm.requests.length, 2);
    for (const request of llm.requests) assert.equal(request.headers['x-api-key'], STORED_KEY);
    // Every use is audited: the gateway's two lookups and the two deliveries.
    const audit: Json = await (
      await server.call('/api/v1/audit?action=credential.use&limit=100')
    ).json();
    const uses: string[] = audit.items.map((r: Json) => String(r.target));
    assert.equal(uses.filter((u) => u === 'Credential/paddock-system/anthropic').length, 2);
    assert.ok(uses.includes('Credential/default/token'));
    assert.ok(uses.includes('Credential/default/claude-login'));
  });

  it('refuses a run whose declared credential does not exist; delivery fails one past admission', async () => {
    const missing: Run = {
      apiVersion: API,
      kind: 'Run',
      metadata: { name: 'missing', namespace: 'default' },
      spec: {
        agent: {
          harness: { kind: 'builtin' },
          credentials: [{ name: 'nope', as: 'env', env: 'NOPE' }],
        },
        prompt: 'x',
        mode: 'task',
      },
    };
    const res = await server.call('/api/v1/namespaces/default/runs', {
      method: 'POST',
      body: JSON.stringify(missing),
    });
    assert.equal(res.status, 404, await res.clone().text());
    const refusal = (await res.json()) as { error: { details: { field: string } } };
    assert.equal(refusal.error.details.field, 'spec.agent.credentials[0].name');
    await server.engine.store.create(missing);
    const run = await finished('missing');
    assert.equal(run.status.phase, 'Failed');
    assert.match(run.status.message, /credential default\/nope not found/);
  });
});
