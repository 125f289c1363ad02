// kubectl with API keys against the server's own TLS (--tls-cert, --tls-key; kubectl sends a
// bearer token only over TLS): each user sees and changes only what the REST API lets it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { makeTestCertificates, opensslSkipReason } from '@paddock/testkit';
import { bootstrapAdminKey } from '../bootstrap-key.ts';
import { API, startTestServer, type TestServer } from '../test-server.ts';
import { kubectl, kubectlSkipReason, writeKubeconfig } from './kube-test-support.ts';

describe('kubectl with API keys', { skip: kubectlSkipReason ?? opensslSkipReason ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-kubectl-keys-'));
  let s: TestServer;
  const configs: Record<string, string> = {};
  const as = (who: string, args: string[], input?: string) =>
    kubectl(configs[who] ?? '', args, input === undefined ? {} : { input });

  before(async () => {
    const certs = makeTestCertificates(dir);
    // This process calls REST too: it trusts the test CA, as NODE_EXTRA_CA_CERTS would make it.
    setDefaultCACertificates([...getCACertificates('default'), certs.caPem]);
    s = await startTestServer({
      auth: 'required',
      'tls-cert': certs.certFile,
      'tls-key': certs.keyFile,
    });
    const admin = (await bootstrapAdminKey(s.engine.apiKeys, undefined, new Date()))?.key ?? '';
    const keyOf = async (owner: string) => {
      const res = await s.call('/api/v1/apikeys', {
        method: 'POST',
        token: admin,
        body: JSON.stringify({ name: owner, owner, role: 'user' }),
      });
      return ((await res.json()) as { key: string }).key;
    };
    for (const [who, key] of [
      ['alice', await keyOf('alice')],
      ['bob', await keyOf('bob')],
      ['nobody', 'pdk_not-a-key'],
    ] as const) {
      configs[who] = writeKubeconfig(s.home, s.url, key, who, certs.caPem);
    }
  });
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("another user's sandbox is NotFound through kubectl as through REST; no key is Unauthorized", async () => {
    const manifest = JSON.stringify({
      apiVersion: API,
      kind: 'Sandbox',
      metadata: { name: 'bobs' },
      spec: {
        templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' },
        desiredState: 'Stopped',
      },
    });
    const created = await as('bob', ['apply', '--server-side', '-f', '-'], manifest);
    assert.equal(created.code, 0, created.stderr);
    assert.match((await as('bob', ['get', 'sbx'])).stdout, /^bobs\s/m);
    const got = await as('alice', ['get', 'sbx', 'bobs']);
    assert.match(got.stderr, /NotFound.*sandboxes\.paddock\.dev "bobs" not found/);
    const viaRest = await s.call('/api/v1/namespaces/default/sandboxes/bobs', {
      token: configs.alice === undefined ? '' : keyFrom(configs.alice),
    });
    assert.equal(viaRest.status, 404);
    assert.match((await as('alice', ['get', 'sbx'])).stderr, /No resources found/);
    const patched = await as('alice', [
      'patch',
      'sbx',
      'bobs',
      '--type=merge',
      '-p',
      '{"spec":{"desiredState":"Running"}}',
    ]);
    assert.match(patched.stderr, /NotFound/);
    const deleted = await as('alice', ['delete', 'sbx', 'bobs']);
    assert.match(deleted.stderr, /NotFound/);
    const taken = await as('alice', ['apply', '--server-side', '-f', '-'], manifest);
    assert.notEqual(taken.code, 0, 'an apply does not create over an object the caller cannot see');
    const anonymous = await as('nobody', ['get', 'sbx']);
    assert.notEqual(anonymous.code, 0);
    // kubectl's words for a 401, whatever the Status's message says.
    assert.match(anonymous.stderr, /You must be logged in to the server/);
  });
});

/** The bearer token a kubeconfig written by `writeKubeconfig` carries. */
function keyFrom(path: string): string {
  const config = JSON.parse(readFileSync(path, 'utf8')) as {
    users: Array<{ user: { token: string } }>;
  };
  return config.users[0]?.user.token ?? '';
}
