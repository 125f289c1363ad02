/**
 * KubeCredentialStore against the loopback stand-in API server with a small object store (Secrets
 * only): the shared CredentialStore contract, then what the Secrets look like, that nothing is
 * requested before the first call, how hand-edited Secrets and an API server without Secrets are
 * reported, and lists across pages. The whole-cluster run is kube-credential-store-cluster.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import { assertRejectsWith, credentialInput, runCredentialStoreContract } from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { type StandInApi, startStandInApi } from '../client/stand-in-api.ts';
import { StandInObjects, type StoredObject } from '../client/stand-in-objects.ts';
import { KubeCredentialStore } from './kube-credential-store.ts';

const SECRETS = '/api/v1/namespaces/paddock-system/secrets';
const bytes = (text: string) => new TextEncoder().encode(text);

let api: StandInApi;
let client: KubeClient;
let objects: StandInObjects;

before(async () => {
  api = await startStandInApi();
  client = await KubeClient.fromKubeconfig(api.kubeconfig, {
    attempts: 1,
    qps: 100_000,
    burst: 100_000,
  });
});
beforeEach(() => {
  objects = new StandInObjects(['/api/v1/secrets']);
  api.fallback = objects.answer;
});
after(async () => {
  client.close();
  await api.close();
});

runCredentialStoreContract('Kubernetes Secrets (stand-in API server)', async () => {
  objects = new StandInObjects(['/api/v1/secrets']);
  api.fallback = objects.answer;
  const store = new KubeCredentialStore(client);
  return { store, cleanup: () => store.close() };
});

describe('KubeCredentialStore (stand-in API server)', () => {
  const secret = (name: string): StoredObject => {
    const object = objects.objects.get(`${SECRETS}/${name}`);
    assert.ok(object, `Secret ${name} exists`);
    return object;
  };

  it('keeps one labelled, annotated Secret per credential in its own namespace', async () => {
    const store = new KubeCredentialStore(client);
    const stored = await store.put(
      { ...credentialInput('claude-login', 'team-a'), type: 'files', description: 'login dir' },
      bytes('tar bytes'),
    );
    assert.deepEqual([...objects.objects.keys()], [`${SECRETS}/credential.team-a.claude-login`]);
    const object = secret('credential.team-a.claude-login');
    assert.equal(object.type, 'paddock.dev/credential');
    assert.deepEqual(object.metadata.labels, {
      'app.kubernetes.io/managed-by': 'paddock',
      'paddock.dev/credential-namespace': 'team-a',
      'paddock.dev/credential-name': 'claude-login',
    });
    assert.deepEqual(object.metadata.annotations, {
      'paddock.dev/credential-type': 'files',
      'paddock.dev/description': 'login dir',
      'paddock.dev/owner': 'alice',
      'paddock.dev/created-at': stored.createdAt,
      'paddock.dev/updated-at': stored.updatedAt,
    });
    assert.deepEqual(object.data, { value: Buffer.from('tar bytes').toString('base64') });
    // The longest names still make a valid DNS subdomain, one per pair.
    const long = 'n'.repeat(63);
    await store.put(credentialInput(long, long), bytes('x'));
    secret(`credential.${long}.${long}`);
  });

  it('uses the namespace it is given, and refuses one that is not a DNS label', async () => {
    objects = new StandInObjects(['/api/v1/secrets']);
    api.fallback = objects.answer;
    const store = new KubeCredentialStore(client, { namespace: 'paddock-credentials' });
    await store.put(credentialInput('k'), bytes('v'));
    assert.deepEqual(
      [...objects.objects.keys()],
      ['/api/v1/namespaces/paddock-credentials/secrets/credential.default.k'],
    );
    assert.throws(
      () => new KubeCredentialStore(client, { namespace: 'Not A Namespace' }),
      (error: unknown) => error instanceof Error && /credentials namespace/.test(error.message),
    );
  });

  it('requests nothing until a credential is used', async () => {
    const store = new KubeCredentialStore(client);
    await store.close();
    new KubeCredentialStore(client, { namespace: 'elsewhere' });
    assert.deepEqual(objects.requests, []);
  });

  it('refuses hand-edited Secrets as internal, and never overwrites them', async () => {
    const store = new KubeCredentialStore(client);
    await store.put(credentialInput('a'), bytes('one'));
    await store.put(credentialInput('b'), bytes('two'));
    // a's labels now name b; b lost its value and its type.
    const a = secret('credential.default.a');
    a.metadata.labels = { ...a.metadata.labels, 'paddock.dev/credential-name': 'b' };
    const b = secret('credential.default.b');
    b.data = {};
    await assertRejectsWith(store.get('default', 'a'), ErrorCode.Internal, (error) =>
      assert.match(error.message, /credential\.default\.a is not labelled/),
    );
    await assertRejectsWith(store.get('default', 'b'), ErrorCode.Internal, (error) =>
      assert.match(error.message, /holds no value/),
    );
    delete b.metadata.annotations?.['paddock.dev/credential-type'];
    await assertRejectsWith(store.list(), ErrorCode.Internal);
    await assertRejectsWith(
      store.put(credentialInput('b'), bytes('three'), { replace: true }),
      ErrorCode.Internal,
    );
    await assertRejectsWith(store.delete('default', 'a'), ErrorCode.Internal);
    assert.equal(objects.objects.size, 2);
  });

  it('says so when the API server serves no Secrets, and finds nothing there', async () => {
    objects = new StandInObjects([]);
    api.fallback = objects.answer;
    const store = new KubeCredentialStore(client);
    assert.equal(await store.get('paddock-system', 'anthropic'), undefined);
    await assertRejectsWith(
      store.put(credentialInput('k'), bytes('v')),
      ErrorCode.RuntimeUnavailable,
      (error) => assert.match(error.message, /no namespace paddock-system, or serves no Secrets/),
    );
    await assertRejectsWith(store.list(), ErrorCode.RuntimeUnavailable);
    await assertRejectsWith(store.delete('default', 'k'), ErrorCode.NotFound);
  });

  it('lists every page', async () => {
    const store = new KubeCredentialStore(client);
    const names = Array.from({ length: 1203 }, (_, i) => `k-${String(i).padStart(4, '0')}`);
    for (const name of names) await store.put(credentialInput(name, 'bulk'), bytes(name));
    const listed = await store.list('bulk');
    assert.deepEqual(
      listed.map((c) => c.name),
      names,
    );
    assert.equal(objects.requests.filter((r) => r === `GET ${SECRETS}`).length, 3);
  });

  it('replaces a credential deleted or changed between its read and its write', async () => {
    const store = new KubeCredentialStore(client);
    await store.put(credentialInput('k'), bytes('one'));
    // The next write after the read loses a race: a concurrent writer bumps the version.
    const raced = objects.answer;
    let isRaced = false;
    api.fallback = (request, response) => {
      if (request.method === 'PUT' && !isRaced) {
        isRaced = true;
        const object = secret('credential.default.k');
        object.metadata.resourceVersion = `${object.metadata.resourceVersion}0`;
      }
      raced(request, response);
    };
    await store.put(credentialInput('k'), bytes('two'), { replace: true });
    assert.equal(new TextDecoder().decode((await store.get('default', 'k'))?.value), 'two');
    assert.deepEqual(
      objects.requests.filter((r) => !r.startsWith('GET')),
      [
        `POST ${SECRETS}`,
        `PUT ${SECRETS}/credential.default.k`,
        `PUT ${SECRETS}/credential.default.k`,
      ],
    );
  });
});
