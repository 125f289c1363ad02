// The E2B surface on a server that authenticates: bob's API key reaches none of alice's E2B
// sandboxes or snapshots through any control route (each not found, her sandbox unchanged), and
// envd needs the sandbox's own access token — never bob's key, and never nothing, even when the
// annotation E2B's `secure: false` sets was written through REST; without it, envd answers as for
// a sandbox that does not exist.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason } from '@paddock/testkit';
import { uniqueName } from '../ws/test-users.ts';
import {
  type AuthzWorld,
  type JsonValue,
  manifest,
  nsPath,
  type Role,
  startAuthzWorld,
  waitForPhase,
} from './authz-fixtures.ts';

const E2B = '/e2b';
const SECRET = 'alice-e2b-secret';

describe("the E2B API keeps alice's sandboxes and snapshots from bob", {
  skip: bwrapSkipReason(),
  timeout: 300_000,
}, () => {
  let fx: AuthzWorld;
  let sandboxId = '';
  let accessToken = '';
  let snapshotId = '';

  const control = async (role: Role, method: string, path: string, body?: unknown) => {
    const token = fx.tokenOf(role);
    const res = await fetch(`${fx.w.s.url}${E2B}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { 'x-api-key': token }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      text,
      body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : undefined,
    };
  };
  /** envd's file download, as the SDK sends it (a sandbox id header, an access token or not). */
  const envdRead = (id: string, path: string, accessToken?: string) =>
    fetch(`${fx.w.s.url}${E2B}/files?path=${encodeURIComponent(path)}`, {
      headers: {
        'e2b-sandbox-id': id,
        ...(accessToken === undefined ? {} : { 'x-access-token': accessToken }),
      },
    });

  before(async () => {
    fx = await startAuthzWorld();
    const made = await control('owner', 'POST', '/sandboxes', { templateID: 'base', timeout: 600 });
    assert.equal(made.status, 201, made.text);
    sandboxId = made.body.sandboxID;
    accessToken = made.body.envdAccessToken;
    const write = await fx.call(
      'owner',
      `${nsPath('sandboxes')}/${sandboxId}/files?path=/workspace/s.txt`,
      {
        method: 'PUT',
        bytes: new TextEncoder().encode(SECRET),
        contentType: 'application/octet-stream',
      },
    );
    assert.equal(write.status, 200, await write.text());
    const snap = await control('owner', 'POST', `/sandboxes/${sandboxId}/snapshots`, {});
    assert.equal(snap.status, 201, snap.text);
    snapshotId = snap.body.snapshotID;
  });
  after(async () => {
    await fx?.close();
  });

  it('answers every control route of bob on her sandbox or snapshot as not found, changing nothing', async () => {
    const before = await fx.json<JsonValue>('admin', `${nsPath('sandboxes')}/${sandboxId}`, 200);
    const attempts: Array<[string, string, unknown]> = [
      ['GET', `/sandboxes/${sandboxId}`, undefined],
      ['GET', `/sandboxes/${sandboxId}/metrics`, undefined],
      ['POST', `/sandboxes/${sandboxId}/timeout`, { timeout: 1 }],
      ['POST', `/sandboxes/${sandboxId}/connect`, { timeout: 1 }],
      ['POST', `/v2/sandboxes/${sandboxId}/connect`, { timeout: 1 }],
      ['POST', `/sandboxes/${sandboxId}/resume`, { timeout: 1 }],
      ['POST', `/sandboxes/${sandboxId}/pause`, {}],
      ['POST', `/sandboxes/${sandboxId}/snapshots`, { name: uniqueName('bob-snap') }],
      ['POST', `/sandboxes/${sandboxId}/fork`, { count: 1 }],
      ['DELETE', `/sandboxes/${sandboxId}`, undefined],
      ['DELETE', `/templates/${snapshotId}`, undefined],
      ['POST', '/sandboxes', { templateID: snapshotId, timeout: 60 }],
    ];
    const wrong: string[] = [];
    for (const [method, path, body] of attempts) {
      const got = await control('other', method, path, body);
      if (got.status !== 404)
        wrong.push(`${method} ${path}: ${got.status} ${got.text.slice(0, 160)}`);
    }
    assert.deepEqual(wrong, []);
    const after = await fx.json<JsonValue>('admin', `${nsPath('sandboxes')}/${sandboxId}`, 200);
    assert.equal(after.status.phase, 'Running');
    assert.equal(after.metadata.deletionTimestamp, undefined);
    assert.equal(after.spec.shutdownTime, before.spec.shutdownTime, 'bob moved her timeout');
    const snapshot = await fx.call('admin', `${nsPath('sandboxsnapshots')}/${snapshotId}`);
    await snapshot.body?.cancel();
    assert.equal(snapshot.status, 200, 'bob deleted her snapshot');
  });

  it('lists none of her sandboxes or snapshots to bob; she sees hers', async () => {
    for (const path of ['/sandboxes', '/v2/sandboxes', '/snapshots']) {
      const ids = async (role: Role) => {
        const got = await control(role, 'GET', path);
        assert.equal(got.status, 200, `${path} as ${role}: ${got.text}`);
        return JSON.stringify(got.body);
      };
      const id = path === '/snapshots' ? snapshotId : sandboxId;
      assert.ok((await ids('owner')).includes(id), `${path}: alice misses hers`);
      assert.ok(!(await ids('other')).includes(id), `${path}: bob sees hers`);
    }
  });

  it("opens envd with the sandbox's access token only: not bob's key, not nothing", async () => {
    const own = await envdRead(sandboxId, '/workspace/s.txt', accessToken);
    assert.equal(await own.text(), SECRET, 'her own token reads it');
    for (const token of [undefined, fx.tokenOf('other'), fx.tokenOf('owner')]) {
      const res = await envdRead(sandboxId, '/workspace/s.txt', token);
      const text = await res.text();
      assert.equal(res.status, 502, text);
      assert.ok(!text.includes(SECRET));
    }
  });

  it("answers envd calls without the sandbox's token exactly as for a sandbox that does not exist", async () => {
    // Sandbox names in `default` are chosen by people: envd must not be an oracle of which exist.
    const missing = uniqueName('no-such-box');
    const probes: Array<[string, string, string?]> = [
      ['GET', '/files?path=/workspace/s.txt'],
      ['GET', '/health'],
      ['GET', '/no-such-route'],
      ['POST', '/process.Process/List', '{}'],
      ['POST', '/filesystem.Filesystem/Stat', '{"path":"/workspace/s.txt"}'],
    ];
    const callers: Array<[string, Record<string, string>]> = [
      ['no credential', {}],
      ['a wrong token', { 'x-access-token': 'not-the-token' }],
      ["bob's API key", { 'x-api-key': fx.tokenOf('other') ?? '', 'x-access-token': 'x' }],
      ["alice's own API key", { 'x-api-key': fx.tokenOf('owner') ?? '' }],
    ];
    const answer = async (
      id: string,
      [method, path, body]: [string, string, string?],
      headers: Record<string, string>,
    ) => {
      const res = await fetch(`${fx.w.s.url}${E2B}${path}`, {
        method,
        headers: {
          ...headers,
          'e2b-sandbox-id': id,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
      });
      return `${res.status} ${(await res.text()).replaceAll(id, '<id>')}`;
    };
    const differences: string[] = [];
    for (const probe of probes) {
      const unknown = await answer(missing, probe, {});
      for (const [who, headers] of callers) {
        for (const id of [sandboxId, fx.box]) {
          const got = await answer(id, probe, headers);
          if (got !== unknown) differences.push(`${probe[1]} as ${who}: ${got} vs ${unknown}`);
        }
      }
    }
    assert.deepEqual(differences, []);
    // Her token still opens both routes that answer without a body.
    const health = await fetch(`${fx.w.s.url}${E2B}/health`, {
      headers: { 'e2b-sandbox-id': sandboxId, 'x-access-token': accessToken },
    });
    assert.equal(health.status, 204);
  });

  it("needs the access token even when a sandbox's annotation says `secure: false` (written through REST)", async () => {
    // E2B refuses `secure: false` on a server that authenticates; the same annotation written
    // through REST must not open the sandbox to callers without any credential either.
    const name = uniqueName('open-box');
    await fx.json('owner', nsPath('sandboxes'), 201, {
      method: 'POST',
      body: manifest(
        'Sandbox',
        name,
        { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
        { annotations: { 'paddock.dev/e2b-secure': 'false' } },
      ),
    });
    await waitForPhase(fx.call, name, 'Running');
    await fx.json('owner', `${nsPath('sandboxes')}/${name}/files?path=/workspace/s.txt`, 200, {
      method: 'PUT',
      bytes: new TextEncoder().encode(SECRET),
      contentType: 'application/octet-stream',
    });
    const anonymous = await envdRead(name, '/workspace/s.txt');
    const text = await anonymous.text();
    assert.equal(anonymous.status, 502, text);
    assert.ok(!text.includes(SECRET));
    const refused = await control('owner', 'POST', '/sandboxes', {
      templateID: 'base',
      secure: false,
    });
    assert.equal(refused.status, 400, refused.text);
  });
});
