// `paddock up --tls-cert --tls-key` as a real process: the CLI and @paddock/client reach it over
// https (trusting the CA through NODE_EXTRA_CA_CERTS), and kubectl reads the kubeconfig
// `paddock kubeconfig` prints (the CA embedded, the API key as bearer token, no proxy).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { createClient } from '@paddock/client';
import {
  bwrapSkipReason,
  makeTestCertificates,
  opensslSkipReason,
  type PaddockProcess,
  startPaddockProcess,
  type TestCertificates,
} from '@paddock/testkit';
import { deleteAllSandboxes } from './test-cleanup.ts';
import { CLI_MAIN, runCli } from './test-cli.ts';

const kubectlSkipReason =
  spawnSync('kubectl', ['version', '--client']).status === 0 ? undefined : 'kubectl is not on PATH';

describe('paddock up with TLS', { skip: opensslSkipReason ?? bwrapSkipReason() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-cli-tls-'));
  const adminKey = `pdk_${randomBytes(32).toString('base64url')}`;
  const { PADDOCK_URL: _u, PADDOCK_TOKEN: _t, PADDOCK_NAMESPACE: _n, ...baseEnv } = process.env;
  let certs: TestCertificates;
  let server: PaddockProcess;
  const keys: Record<string, string> = {};
  const cli = (args: string[], stdin?: string) =>
    runCli(args, {
      ...(stdin === undefined ? {} : { stdin }),
      env: { ...baseEnv, HOME: dir, NO_COLOR: '1', NODE_EXTRA_CA_CERTS: certs.caFile },
    });

  before(async () => {
    certs = makeTestCertificates(dir);
    const tlsFlags = ['--tls-cert', certs.certFile, '--tls-key', certs.keyFile];
    server = await startPaddockProcess(
      [CLI_MAIN, 'up', '--addr', '127.0.0.1:0', '--home', join(dir, 'home'), ...tlsFlags],
      { env: { ...baseEnv, PADDOCK_BOOTSTRAP_ADMIN_KEY: adminKey } },
    );
    setDefaultCACertificates([...getCACertificates('default'), certs.caPem]);
    const admin = createClient({ baseUrl: server.url, token: adminKey });
    for (const owner of ['alice', 'bob']) {
      keys[owner] = (await admin.apiKeys.create({ name: owner, owner, role: 'user' })).key;
    }
  });
  after(async () => {
    try {
      // Stopping the server leaves sandboxes running, by design: bob's goes first.
      if (server !== undefined && keys.bob !== undefined)
        await deleteAllSandboxes(createClient({ baseUrl: server.url, token: keys.bob }));
    } finally {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves REST over https to @paddock/client and the CLI', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const bob = createClient({ baseUrl: server.url, token: keys.bob ?? '' });
    assert.deepEqual((await bob.sandboxes.list({ namespace: 'default' })).items, []);
    const manifest = JSON.stringify({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: 'bobs' },
      spec: {
        templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
        desiredState: 'Stopped',
      },
    });
    const applied = await cli(
      ['apply', '-f', '-', '--server', server.url, '--token', keys.bob ?? ''],
      manifest,
    );
    assert.equal(applied.code, 0, applied.stderr);
  });

  it('kubectl works with the kubeconfig paddock kubeconfig prints; another user sees NotFound', {
    skip: kubectlSkipReason ?? false,
  }, async () => {
    // Printed side by side: each CLI start costs a few seconds on a busy machine.
    const [forBob, forAlice] = await Promise.all(
      ['bob', 'alice'].map((who) =>
        cli(['kubeconfig', '--server', server.url, '--token', keys[who] ?? '']),
      ),
    );
    const files: Record<string, string> = {};
    for (const [who, printed] of [
      ['bob', forBob],
      ['alice', forAlice],
    ] as const) {
      assert.equal(printed?.code, 0, printed?.stderr);
      files[who] = join(dir, `${who}.kubeconfig`);
      writeFileSync(files[who], printed?.stdout ?? '');
    }
    const kubectl = (who: string, args: string[]) =>
      spawnSync('kubectl', args, {
        env: { PATH: process.env.PATH, HOME: join(dir, who), KUBECONFIG: files[who] },
        encoding: 'utf8',
        timeout: 30_000,
      });
    const mine = kubectl('bob', ['get', 'sandboxes']);
    assert.equal(mine.status, 0, mine.stderr);
    assert.match(mine.stdout, /^bobs\s/m);
    const theirs = kubectl('alice', ['get', 'sandbox', 'bobs']);
    assert.notEqual(theirs.status, 0);
    assert.match(theirs.stderr, /NotFound.*"bobs" not found/);
  });

  it('refuses an unreadable certificate naming its flag, before anything starts', async () => {
    const absent = join(dir, 'absent.pem');
    const home = ['--addr', '127.0.0.1:0', '--home', join(dir, 'bad')];
    const refused = await cli(['up', ...home, '--tls-cert', absent, '--tls-key', certs.keyFile]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--tls-cert \/ PADDOCK_TLS_CERT: cannot read .*absent\.pem/);
    assert.doesNotMatch(refused.stderr, /^\s+at /m, 'no stack trace');
    assert.doesNotMatch(refused.stderr, /listening/);
  });
});
