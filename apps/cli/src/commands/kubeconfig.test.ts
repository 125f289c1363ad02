// paddock kubeconfig: the real CLI prints a kubeconfig that kubectl reads (server, token,
// namespace; an https server's CA from NODE_EXTRA_CA_CERTS). No server is needed to print one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { runCli } from '../test-cli.ts';

type Kubeconfig = {
  clusters: Array<{ cluster: { server: string; 'certificate-authority-data'?: string } }>;
  users: Array<{ user: { token?: string } }>;
  contexts: Array<{ context: { namespace: string } }>;
};

const hasKubectl = spawnSync('kubectl', ['version', '--client']).status === 0;

describe('paddock kubeconfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-kubeconfig-'));
  const { PADDOCK_URL: _u, PADDOCK_TOKEN: _t, PADDOCK_NAMESPACE: _n, ...baseEnv } = process.env;
  const env = { ...baseEnv, HOME: dir, NO_COLOR: '1' };
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the server, the key as bearer token and the namespace; kubectl reads it', async () => {
    const args = [
      'kubeconfig',
      '--server',
      'http://127.0.0.1:7070',
      '--token',
      'pdk_x',
      '-n',
      'team',
    ];
    const out = await runCli(args, { env });
    assert.equal(out.code, 0, out.stderr);
    const config = parse(out.stdout) as Kubeconfig;
    assert.equal(config.clusters[0]?.cluster.server, 'http://127.0.0.1:7070');
    assert.equal(config.users[0]?.user.token, 'pdk_x');
    assert.equal(config.contexts[0]?.context.namespace, 'team');
    assert.match(out.stderr, /kubectl sends the token only over https/);
    if (!hasKubectl) return;
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, out.stdout);
    const view = spawnSync(
      'kubectl',
      ['config', 'view', '--minify', '-o', 'jsonpath={.contexts[0].context.namespace}'],
      { env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: file }, encoding: 'utf8' },
    );
    assert.equal(view.stdout, 'team', view.stderr);
  });

  it('prints the current context of the CLI config, or the one --context names', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'currentContext: laptop',
        'contexts:',
        '  - { name: laptop, server: "http://127.0.0.1:7070", token: pdk_laptop, namespace: mine }',
        '  - { name: shared, server: "https://paddock.example.test", token: pdk_shared }',
      ].join('\n'),
    );
    const withConfig = { ...env, PADDOCK_CONFIG: config };
    const current = await runCli(['kubeconfig'], { env: withConfig });
    assert.equal(current.code, 0, current.stderr);
    const laptop = parse(current.stdout) as Kubeconfig;
    assert.equal(laptop.clusters[0]?.cluster.server, 'http://127.0.0.1:7070');
    assert.equal(laptop.users[0]?.user.token, 'pdk_laptop');
    assert.equal(laptop.contexts[0]?.context.namespace, 'mine');
    const named = await runCli(['kubeconfig', '--context', 'shared'], { env: withConfig });
    assert.equal(named.code, 0, named.stderr);
    const shared = parse(named.stdout) as Kubeconfig;
    assert.equal(shared.clusters[0]?.cluster.server, 'https://paddock.example.test');
    assert.equal(shared.users[0]?.user.token, 'pdk_shared');
    assert.equal(shared.contexts[0]?.context.namespace, 'default');
  });

  it("embeds an https server's CA from NODE_EXTRA_CA_CERTS, and names an unreadable one", async () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const args = ['kubeconfig', '--server', 'https://paddock.example.test', '--token', 'pdk_y'];
    const out = await runCli(args, { env: { ...env, NODE_EXTRA_CA_CERTS: ca } });
    assert.equal(out.code, 0, out.stderr);
    const cluster = (parse(out.stdout) as Kubeconfig).clusters[0]?.cluster;
    assert.equal(
      Buffer.from(cluster?.['certificate-authority-data'] ?? '', 'base64').toString(),
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    );
    assert.doesNotMatch(out.stderr, /only over https/, 'no note for an https server');
    const missing = await runCli(args, {
      env: { ...env, NODE_EXTRA_CA_CERTS: join(dir, 'absent.pem') },
    });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NODE_EXTRA_CA_CERTS/);
  });
});
