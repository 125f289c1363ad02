// `template`, `delete`, `policy` and `--watch` through the real CLI against a real `paddock up`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import { bwrapSkipReason, type PaddockProcess, startPaddockProcess } from '@paddock/testkit';
import { ExitCode } from './exit-codes.ts';
import { deleteAllSandboxes } from './test-cleanup.ts';
import { spawnCli } from './test-cli.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

const TEMPLATES = `apiVersion: paddock.dev/v1alpha1
kind: SandboxTemplate
metadata: {name: small}
spec:
  inheritsFrom: {kind: ClusterSandboxTemplate, name: shell}
  resources: {cpu: 500m}
  env: [{name: MODE, value: small}]
---
apiVersion: paddock.dev/v1alpha1
kind: Policy
metadata: {name: default}
spec:
  sandboxes: {maxPerNamespace: 5}
  resources: {maxCpu: '2'}
`;

describe('paddock template, delete, policy and --watch', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cli-res-'));
  const env = { ...process.env, NO_COLOR: '1', PADDOCK_CONFIG: join(home, 'no-config.yaml') };
  let server: PaddockProcess;
  let paddock: PaddockClient;

  const start = (args: string[]) => spawnCli(['--server', server.url, ...args], env);
  const cli = (args: string[], stdin = '') => {
    const run = start(args);
    run.child.stdin.end(stdin);
    return run.done;
  };

  before(async () => {
    server = await startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home]);
    paddock = createClient({ baseUrl: server.url });
    const applied = await cli(['apply', '-f', '-'], TEMPLATES);
    assert.equal(applied.code, 0, applied.stderr);
  });

  after(async () => {
    try {
      await deleteAllSandboxes(paddock);
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('lists cluster and namespaced templates, or only cluster ones', async () => {
    const all = await cli(['template', 'list']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^NAME\s+SCOPE\s+INHERITS\s+ISOLATION\s+EGRESS\s+AGE\n/);
    assert.match(all.stdout, /\nshell\s+Cluster\s+-\s+-\s+none\s+\d+s\n/);
    assert.match(all.stdout, /\nsmall\s+default\s+ClusterSandboxTemplate\/shell\s+-\s+-\s+\d+s\n/);
    const cluster = await cli(['template', 'list', '--cluster', '-o', 'name']);
    assert.equal(cluster.code, 0, cluster.stderr);
    assert.ok(cluster.stdout.includes('clustersandboxtemplate/shell\n'));
    assert.ok(!cluster.stdout.includes('small'));
    const one = await cli(['template', 'get', 'small', '-o', 'json']);
    assert.equal(JSON.parse(one.stdout).spec.resources.cpu, '500m');
  });

  it('resolves a template with a # from comment per field, and as the server answered', async () => {
    const shown = await cli(['template', 'resolve', 'small']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^# SandboxTemplate\/small after inheritance\n/);
    assert.match(shown.stdout, /# chain: ClusterSandboxTemplate\/shell → SandboxTemplate\/small\n/);
    assert.match(shown.stdout, /# from ClusterSandboxTemplate\/shell\nworkingDir: \/workspace\n/);
    assert.match(
      shown.stdout,
      /# from ClusterSandboxTemplate\/shell, SandboxTemplate\/small\nresources:\n {2}cpu: 500m\n/,
    );
    assert.match(shown.stdout, /# from SandboxTemplate\/small\nenv:\n/);
    const json = await cli(['template', 'resolve', 'small', '-o', 'json']);
    const resolved = JSON.parse(json.stdout) as { origins: Record<string, string> };
    assert.equal(resolved.origins['resources.cpu'], 'SandboxTemplate/small');
    assert.equal(resolved.origins['resources.memory'], 'ClusterSandboxTemplate/shell');
    const missing = await cli(['template', 'resolve', 'nope']);
    assert.equal(missing.code, ExitCode.NotFound, missing.stderr);
    assert.match(missing.stderr, /template_not_found/);
  });

  it('shows the effective policy with its sources and usage bars', async () => {
    const shown = await cli(['policy']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^FIELD\s+LIMIT\s+USED\s+SOURCE\n/);
    assert.match(shown.stdout, /\nsandboxes\.maxPerNamespace\s+5\s+▁▁▁▁▁ 0\/5\s+Policy\/default\n/);
    assert.match(shown.stdout, /\nresources\.maxCpu\s+2\s+-\s+Policy\/default\n/);
    const json = await cli(['policy', '-o', 'json', '-n', 'elsewhere']);
    assert.deepEqual(JSON.parse(json.stdout).spec, {});
  });

  it('watches sandboxes as NDJSON and ends with 0 on Ctrl-C', async () => {
    const watch = start(['sandbox', 'list', '--watch', '-o', 'json']);
    await paddock.sandboxes.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: 'watched' },
      spec: { templateRef: { name: 'small' } },
    });
    const seen = await watch.waitFor(/"name":"watched"[\s\S]*\n/);
    const events = seen
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; object: { metadata: { name: string } } });
    assert.ok(events.some((e) => e.object.metadata.name === 'watched'));
    for (const event of events) assert.match(event.type, /^(ADDED|MODIFIED|DELETED)$/);
    watch.child.kill('SIGINT');
    const ended = await watch.done;
    assert.equal(ended.code, 0, ended.stderr);
    const table = start(['get', 'sandboxes', '-w']);
    await table.waitFor(/^NAME\s+PHASE\s+TEMPLATE\s+AGE\nwatched\s/);
    table.child.kill('SIGINT');
    assert.equal((await table.done).code, 0);
  });

  it('deletes from a manifest, reporting what was not there', async () => {
    const missing = await cli(['delete', '-f', '-'], TEMPLATES.replace('small', 'ghost'));
    assert.equal(missing.code, ExitCode.NotFound, missing.stderr);
    assert.equal(missing.stdout, 'policy/default deleted\n');
    assert.match(missing.stderr, /^sandboxtemplate\/ghost not found\n/);
    const ignored = await cli(['delete', '-f', '-', '--ignore-not-found'], TEMPLATES);
    assert.equal(ignored.code, 0, ignored.stderr);
    assert.equal(ignored.stdout, 'sandboxtemplate/small deleted\npolicy/default not found\n');
    const byName = await cli(['delete', 'sandbox', 'watched']);
    assert.equal(byName.code, 0, byName.stderr);
    assert.equal(byName.stdout, 'sandbox/watched deleted\n');
  });
});
