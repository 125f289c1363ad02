// The CLI reads the environment it is given (runCli's env), never this process's: an embedding or
// a test running it in-process with another PADDOCK_HOME or PADDOCK_CONFIG gets that home.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Session, writeSession } from '@paddock/gitops';
import { runCliInProcess } from './test-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'cli-env-'));
const session: Session = {
  apiVersion: 'paddock.dev/v1alpha1',
  kind: 'ClusterSession',
  name: 'from-given-env',
  mode: 'k3d',
  state: 'stopped',
  createdAt: '2026-12-06T10:00:00.000Z',
  updatedAt: '2026-12-06T10:05:00.000Z',
  nodeCount: 1,
  kubeconfig: join(home, 'clusters', 'from-given-env', 'kubeconfig'),
  ports: { api: 6551, http: 8080, https: 8443 },
  urls: { api: 'https://127.0.0.1:6551', argocd: 'http://argocd.localhost:8080' },
  credentials: { argocdAdminPassword: 'pw' },
  bootstrap: { version: '0.1.0', cilium: '1.19.5', argocd: '9.5.4', paddock: '0.1.0' },
};

describe('the environment given to runCli', () => {
  after(() => rmSync(home, { recursive: true, force: true }));
  // This process's own variables point elsewhere; only the given environment names `home`.
  const env = { NO_COLOR: '1', HOME: join(home, 'user'), PADDOCK_HOME: home };

  it('decides the Paddock home (PADDOCK_HOME) the cluster commands read', async () => {
    assert.notEqual(process.env.PADDOCK_HOME, home);
    writeSession(home, session);
    const listed = await runCliInProcess(['cluster', 'list', '-o', 'json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), { items: [session] });
    const info = await runCliInProcess(['cluster', 'info', 'from-given-env', '-o', 'json'], env);
    assert.equal(info.code, 0, info.stderr);
    assert.equal(JSON.parse(info.stdout).name, 'from-given-env');
  });

  it('decides the CLI config file (PADDOCK_CONFIG) the context commands read', async () => {
    const config = join(home, 'config.yaml');
    writeFileSync(
      config,
      'currentContext: given\ncontexts:\n  - name: given\n    server: http://127.0.0.1:1\n    namespace: default\n',
    );
    const listed = await runCliInProcess(['context', 'list', '-o', 'name'], {
      ...env,
      PADDOCK_CONFIG: config,
    });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, 'context/given\n');
  });
});
