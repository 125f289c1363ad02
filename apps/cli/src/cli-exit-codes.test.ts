// Every row of the exit-code table reached for real: the `paddock` CLI as a child process against
// real `paddock up` servers (one open on loopback, one requiring API keys), plus `sandbox logs`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import {
  bwrapSkipReason,
  eventually,
  type PaddockProcess,
  startPaddockProcess,
} from '@paddock/testkit';
import { ExitCode } from './exit-codes.ts';
import { deleteAllSandboxes } from './test-cleanup.ts';
import { spawnCli } from './test-cli.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const ADMIN_KEY = `pdk_${'k'.repeat(43)}`;

describe('paddock exit codes end to end', { skip: bwrapSkipReason(), timeout: 180_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-exit-'));
  const lockedHome = mkdtempSync(join(tmpdir(), 'paddock-locked-'));
  const env = { ...process.env, NO_COLOR: '1', PADDOCK_CONFIG: join(home, 'no-config.yaml') };
  let server: PaddockProcess;
  let locked: PaddockProcess;
  let paddock: PaddockClient;

  const cli = (args: string[], options: { stdin?: string; url?: string } = {}) => {
    const run = spawnCli(['--server', options.url ?? server.url, ...args], env);
    run.child.stdin.end(options.stdin ?? '');
    return run.done;
  };

  before(async () => {
    [server, locked] = await Promise.all([
      startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home]),
      startPaddockProcess(
        [main, 'up', '--addr', '127.0.0.1:0', '--home', lockedHome, '--auth', 'required'],
        { env: { ...process.env, PADDOCK_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY } },
      ),
    ]);
    paddock = createClient({ baseUrl: server.url });
  });

  after(async () => {
    await paddock
      .resources('ClusterPolicy')
      .delete('default')
      .catch(() => {});
    try {
      await deleteAllSandboxes(paddock);
    } finally {
      await Promise.all([server.stop(), locked.stop()]);
      rmSync(home, { recursive: true, force: true });
      rmSync(lockedHome, { recursive: true, force: true });
    }
  });

  it('2: a bad flag', async () => {
    const bad = await cli(['sandbox', 'list', '--bogus']);
    assert.equal(bad.code, ExitCode.Usage);
    assert.match(bad.stderr, /^paddock: validation_failed: .*--bogus: unknown flag/);
  });

  it('3: a missing sandbox', async () => {
    const missing = await cli(['sandbox', 'get', 'nowhere']);
    assert.equal(missing.code, ExitCode.NotFound, missing.stderr);
    assert.match(missing.stderr, /not_found/);
  });

  it('4: creating a sandbox that exists', async () => {
    const first = await cli(['sandbox', 'create', 'dup', '--template', 'shell', '--cluster']);
    assert.equal(first.code, 0, first.stderr);
    const again = await cli(['sandbox', 'create', 'dup', '--template', 'shell', '--cluster']);
    assert.equal(again.code, ExitCode.Conflict, again.stderr);
    assert.match(again.stderr, /^paddock: already_exists: /);
  });

  it('5: a policy violation, at create and in a dry run', async () => {
    const policy = await cli(['apply', '-f', '-'], {
      stdin: `{"apiVersion": "paddock.dev/v1alpha1", "kind": "ClusterPolicy",
        "metadata": {"name": "default"}, "spec": {"resources": {"maxCpu": "100m"}}}`,
    });
    assert.equal(policy.code, 0, policy.stderr);
    try {
      const refused = await cli(['sandbox', 'create', 'big', '--template', 'shell', '--cluster']);
      assert.equal(refused.code, ExitCode.Refused, refused.stderr);
      assert.match(refused.stderr, /cpu_limit_exceeded/);
      const manifest = `apiVersion: paddock.dev/v1alpha1
kind: Sandbox
metadata: {name: dry}
spec: {templateRef: {kind: ClusterSandboxTemplate, name: shell}}
`;
      const check = await cli(['policy', 'check', '-f', '-'], { stdin: manifest });
      assert.equal(check.code, ExitCode.Refused, check.stderr);
      assert.match(
        check.stdout,
        /^sandbox\/dry refused\n {2}- cpu_limit_exceeded \(spec\.resources\.cpu\): /,
      );
      assert.match(check.stderr, /^paddock: policy_violation: 1 of 1 sandboxes would be refused/);
      const stored = await cli(['sandbox', 'get', 'dry']);
      assert.equal(stored.code, ExitCode.NotFound, 'the dry run created nothing');
    } finally {
      await paddock.resources('ClusterPolicy').delete('default');
    }
  });

  it('6: a bad --token on a server that requires keys', async () => {
    const wrong = await cli(['sandbox', 'list', '--token', `pdk_${'x'.repeat(43)}`], {
      url: locked.url,
    });
    assert.equal(wrong.code, ExitCode.Unauthenticated, wrong.stderr);
    assert.match(wrong.stderr, /^paddock: unauthenticated: /);
    const none = await cli(['sandbox', 'list'], { url: locked.url });
    assert.equal(none.code, ExitCode.Unauthenticated, none.stderr);
    const right = await cli(['sandbox', 'list', '--token', ADMIN_KEY], { url: locked.url });
    assert.equal(right.code, 0, right.stderr);
  });

  it('7: nothing listening at --server, with a hint naming the URL', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const down = await cli(['sandbox', 'list'], { url });
    assert.equal(down.code, ExitCode.Unavailable, down.stderr);
    assert.match(down.stderr, /^paddock: runtime_unavailable: cannot reach Paddock at /);
    assert.ok(down.stderr.includes(`hint: is paddock up running at ${url}?`), down.stderr);
  });

  it('1: a server that does not speak the Paddock API', async () => {
    // The only honest way to reach `internal` from outside: an answer the client cannot read.
    const impostor = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<h1>hello</h1>');
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const { port } = impostor.address() as AddressInfo;
    try {
      const odd = await cli(['sandbox', 'list'], { url: `http://127.0.0.1:${port}` });
      assert.equal(odd.code, ExitCode.Internal, odd.stderr);
      assert.match(odd.stderr, /^paddock: internal: unexpected response/);
    } finally {
      impostor.closeAllConnections();
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  it('sandbox logs prints the main process output, and --follow ends on Ctrl-C with 0', async () => {
    const script =
      'echo one; echo two; while [ ! -f /workspace/go ]; do sleep 0.1; done; echo three; sleep 3600';
    await paddock.sandboxes.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: 'talker' },
      spec: {
        templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
        overrides: { command: ['sh', '-c', script] },
      },
    });
    await paddock.sandboxes.waitFor('talker', (s) => s.status?.phase === 'Running', {
      timeoutMs: 60_000,
    });
    const logs = await eventually(
      async () => {
        const logs = await cli(['sandbox', 'logs', 'talker']);
        return logs.code !== 0 || /two\n/.test(logs.stdout) ? logs : undefined;
      },
      { what: 'both lines in the logs' },
    );
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'one\ntwo\n');

    const follow = spawnCli(['--server', server.url, 'sandbox', 'logs', 'talker', '--follow'], env);
    await follow.waitFor(/two\n/);
    const touched = await paddock.sandboxes.exec('talker', { command: ['touch', '/workspace/go'] });
    assert.equal(touched.exitCode, 0);
    await follow.waitFor(/three\n/);
    follow.child.kill('SIGINT');
    const ended = await follow.done;
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal(ended.stdout, 'one\ntwo\nthree\n');
  });
});
