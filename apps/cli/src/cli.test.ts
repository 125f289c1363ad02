// The real `paddock` CLI, as a child process, against a real `paddock up` (temporary home, random port).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import { bwrapSkipReason, type PaddockProcess, startPaddockProcess } from '@paddock/testkit';
import { exitCodeFor } from './exit-codes.ts';
import { deleteAllSandboxes } from './test-cleanup.ts';
import { runCli } from './test-cli.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('paddock CLI against a real paddock up', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cli-'));
  let server: PaddockProcess;
  let url: string;
  let paddock: PaddockClient;

  const cli = (args: string[], stdin = '') => runCli(['--server', url, ...args], { stdin });

  before(async () => {
    server = await startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home]);
    url = server.url;
    paddock = createClient({ baseUrl: url });
  });

  after(async () => {
    await paddock
      .resources('ClusterPolicy')
      .delete('default')
      .catch(() => {});
    try {
      await deleteAllSandboxes(paddock);
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  const manifests = `apiVersion: paddock.dev/v1alpha1
kind: SandboxTemplate
metadata: {name: small}
spec:
  inheritsFrom: {kind: ClusterSandboxTemplate, name: python}
  resources: {cpu: 500m}
---
apiVersion: paddock.dev/v1alpha1
kind: Sandbox
metadata: {name: box}
spec: {templateRef: {name: small}}
`;

  it('applies a template and a sandbox from stdin, then reports them unchanged', async () => {
    const first = await cli(['apply', '-f', '-'], manifests);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'sandboxtemplate/small created\nsandbox/box created\n');
    await paddock.sandboxes.waitFor('box', (s) => s.status?.phase === 'Running', {
      timeoutMs: 30_000,
    });
    const again = await cli(['apply', '-f', '-'], manifests);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'sandboxtemplate/small unchanged\nsandbox/box unchanged\n');
  });

  it('lists sandboxes as JSON and as a table', async () => {
    const json = await cli(['sandbox', 'list', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const list = JSON.parse(json.stdout) as { items: Array<{ metadata: { name: string } }> };
    assert.deepEqual(
      list.items.map((s) => s.metadata.name),
      ['box'],
    );
    const table = await cli(['get', 'Sandboxes']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+PHASE\s+TEMPLATE\s+AGE\nbox\s+Running\s+small\s+\d+s\n$/);
  });

  it('exec prints the output and exits with the command exit code', async () => {
    const hi = await cli(['sandbox', 'exec', 'box', '--', 'echo', 'hi']);
    assert.equal(hi.code, 0, hi.stderr);
    assert.equal(hi.stdout, 'hi\n');
    const three = await cli(['sandbox', 'exec', 'box', '--', 'sh', '-c', 'echo oops >&2; exit 3']);
    assert.equal(three.code, 3);
    assert.equal(three.stderr, 'oops\n');
  });

  it('stops and starts a sandbox, after which exec still works', async () => {
    const stopped = await cli(['sandbox', 'stop', 'box']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout, 'sandbox/box stopped\n');
    assert.equal((await paddock.sandboxes.get('box')).status?.phase, 'Stopped');
    const started = await cli(['sandbox', 'start', 'box', '-o', 'json']);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(JSON.parse(started.stdout).status.phase, 'Running');
    const hi = await cli(['sandbox', 'exec', 'box', '--', 'echo', 'again']);
    assert.equal(hi.code, 0, hi.stderr);
    assert.equal(hi.stdout, 'again\n');
  });

  it('pauses and resumes a sandbox; a paused one refuses exec unless --auto-resume', async () => {
    await cli(['sandbox', 'exec', 'box', '--', 'sh', '-c', 'echo kept > /tmp/kept']);
    const paused = await cli(['sandbox', 'pause', 'box']);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /^sandbox\/box paused \(\S+\)\n$/);
    const refused = await cli(['sandbox', 'exec', 'box', '--', 'true']);
    assert.equal(refused.code, exitCodeFor('sandbox_paused'));
    assert.match(refused.stderr, /paused/);
    assert.match(refused.stderr, /paddock sandbox resume/);
    const woken = await cli(['sandbox', 'exec', 'box', '--auto-resume', '--', 'cat', '/tmp/kept']);
    assert.equal(woken.code, 0, woken.stderr);
    assert.equal(woken.stdout, 'kept\n', 'its /tmp outlived the pause');
    await cli(['sandbox', 'pause', 'box']);
    const resumed = await cli(['sandbox', 'resume', 'box']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.stdout, 'sandbox/box resumed\n');
  });

  it('lists the events of a sandbox as a table', async () => {
    const events = await cli(['sandbox', 'events', 'box']);
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /^AGE\s+TYPE\s+REASON\s+MESSAGE\n/);
    assert.match(events.stdout, /\n\d+s\s+Normal\s+Provisioned\s/);
  });

  it('creates an API key, printing the secret once, and lists it without the secret', async () => {
    const created = await cli(['apikey', 'create', 'ci-bot', '--role', 'user']);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^pdk_\S+$/);
    const id = created.stderr.match(/^apikey\/(\S+) created/)?.[1];
    assert.ok(id, created.stderr);
    const listed = await cli(['apikey', 'list', '-o', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    const list = JSON.parse(listed.stdout) as { items: Array<{ id: string }> };
    assert.ok(list.items.some((k) => k.id === id));
    assert.ok(!listed.stdout.includes(key));
    const badRole = await cli(['apikey', 'create', 'x', '--role', 'root']);
    assert.equal(badRole.code, exitCodeFor('validation_failed'));
  });

  it('lists audit records, including the exec', async () => {
    const audit = await cli(['audit', '--action', 'sandbox.exec', '--limit', '50', '-o', 'json']);
    assert.equal(audit.code, 0, audit.stderr);
    const records = JSON.parse(audit.stdout) as { items: Array<{ action: string }> };
    assert.ok(
      records.items.some((r) => r.action === 'sandbox.exec'),
      audit.stdout,
    );
    const bad = await cli(['audit', '--limit', 'many']);
    assert.equal(bad.code, exitCodeFor('validation_failed'));
    assert.match(bad.stderr, /--limit: must be a number/);
  });

  it('exits with the not_found code and prints the code', async () => {
    const missing = await cli(['get', 'sandbox', 'missing']);
    assert.equal(missing.code, exitCodeFor('not_found'));
    assert.match(missing.stderr, /^paddock: (sandbox_)?not_found: /);
    assert.match(missing.stderr, /hint: /);
  });

  it('exits with the policy code when governance refuses a sandbox', async () => {
    const policy = await cli(
      ['apply', '-f', '-'],
      `{"apiVersion": "paddock.dev/v1alpha1", "kind": "ClusterPolicy", "metadata": {"name": "default"},
        "spec": {"resources": {"maxCpu": "100m"}}}`,
    );
    assert.equal(policy.code, 0, policy.stderr);
    const refused = await cli(['sandbox', 'create', 'too-big', '--template', 'small']);
    assert.equal(refused.code, exitCodeFor('policy_violation'), refused.stderr);
    assert.match(refused.stderr, /^paddock: policy_violation: /);
    assert.match(refused.stderr, /cpu_limit_exceeded/);
  });
});
