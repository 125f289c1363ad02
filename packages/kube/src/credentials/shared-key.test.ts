/**
 * The key every server replica shares, against the loopback stand-in API server with a small
 * object store (Secrets only; the test API server serves no core/v1): replicas racing to create
 * it agree on one, a restart reads it back, a replica that loses the create reads the winner's,
 * and a Secret that holds no key, or a server without Secrets, is reported.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { assertRejectsWith } from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { type StandInApi, startStandInApi } from '../client/stand-in-api.ts';
import { StandInObjects } from '../client/stand-in-objects.ts';
import { readOrCreateSharedKey, SHARED_KEY_TYPE } from './shared-key.ts';

const NAMESPACE = 'paddock-system';
const PATH = `/api/v1/namespaces/${NAMESPACE}/secrets/paddock-gateway-key`;
const hex = (key: Uint8Array) => Buffer.from(key).toString('hex');

describe('readOrCreateSharedKey (stand-in API server)', () => {
  let api: StandInApi;
  let clients: KubeClient[];
  let objects: StandInObjects;

  before(async () => {
    api = await startStandInApi();
    // One client per replica: their requests interleave as separate processes' would.
    clients = await Promise.all(
      Array.from({ length: 4 }, () =>
        KubeClient.fromKubeconfig(api.kubeconfig, { qps: 100_000, burst: 100_000 }),
      ),
    );
  });
  beforeEach(() => {
    objects = new StandInObjects(['/api/v1/secrets']);
    api.answers = [];
    api.fallback = objects.answer;
  });
  after(async () => {
    for (const client of clients) client.close();
    await api.close();
  });

  const key = (client: KubeClient) =>
    readOrCreateSharedKey(client, NAMESPACE, 'paddock-gateway-key');

  it('gives every replica one key, made once, and the same after a restart', async () => {
    const keys = await Promise.all(clients.map(key));
    assert.equal(new Set(keys.map(hex)).size, 1);
    assert.equal(keys[0]?.length, 32);
    const secret = objects.objects.get(PATH);
    assert.equal(secret?.type, SHARED_KEY_TYPE);
    assert.equal(secret?.metadata.labels?.['app.kubernetes.io/managed-by'], 'paddock');
    const posts = objects.requests.filter((r) => r.startsWith('POST')).length;
    assert.equal(hex(await key(clients[0] as KubeClient)), hex(keys[0] as Uint8Array));
    assert.equal(objects.requests.filter((r) => r.startsWith('POST')).length, posts);
  });

  it("reads the winner's key when another replica creates it between the read and the create", async () => {
    const winner = Buffer.alloc(32, 7);
    // The first read finds nothing; the other replica's create lands just after it.
    api.answers = [
      (request, response) => {
        response.on('finish', () =>
          objects.objects.set(PATH, {
            apiVersion: 'v1',
            kind: 'Secret',
            type: SHARED_KEY_TYPE,
            metadata: { name: 'paddock-gateway-key', namespace: NAMESPACE },
            data: { key: winner.toString('base64') },
          }),
        );
        objects.answer(request, response);
      },
    ];
    assert.equal(hex(await key(clients[1] as KubeClient)), winner.toString('hex'));
    assert.deepEqual(
      objects.requests.map((r) => r.split(' ')[0]),
      ['GET', 'POST', 'GET'],
      'read, lost the create (409 AlreadyExists), read again',
    );
  });

  it('refuses a Secret of that name that holds no key, and a server without Secrets', async () => {
    objects.objects.set(PATH, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'paddock-gateway-key', namespace: NAMESPACE },
      data: { password: Buffer.from('hunter2').toString('base64') },
    });
    await assertRejectsWith(key(clients[0] as KubeClient), 'internal', (error) =>
      assert.match(error.message, /holds no 32-byte data\.key/),
    );
    api.fallback = new StandInObjects([]).answer;
    await assertRejectsWith(key(clients[0] as KubeClient), 'runtime_unavailable');
  });
});
