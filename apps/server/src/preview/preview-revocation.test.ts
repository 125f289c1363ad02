import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import type { WebSocket } from 'ws';
import { type AuthWorld, startAuthWorld, uniqueName } from '../ws/test-users.ts';
import { createWebTemplate, previewUrlOf } from './preview-test-app.ts';
import {
  exchangePreviewUrl,
  type OpenedPreview,
  type PreviewAnswer,
  previewRequest,
  previewSocket,
} from './preview-test-client.ts';

type Envelope = { error: { code: string; message: string; details?: { reason?: string } } };

function refusal(answer: PreviewAnswer): Envelope['error'] {
  return (JSON.parse(answer.body) as Envelope).error;
}

describe('preview links and cookies end with the API key (revoked or expired) or the share they came from', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: AuthWorld;
  const web = uniqueName('web');
  const sockets: WebSocket[] = [];
  /** Alice's preview through the key she keeps: it must go on serving throughout. */
  let kept: OpenedPreview;

  const get = (opened: OpenedPreview) =>
    previewRequest(opened.base, { headers: { cookie: opened.cookie } });
  const upgrade = async (opened: OpenedPreview) => {
    const socket = previewSocket(`${opened.base.replace('http://', 'ws://')}ws`, opened.cookie);
    sockets.push(socket.ws);
    const { status } = await socket.outcome;
    socket.ws.close();
    return status;
  };
  /** A second key of alice's, which she revokes later. */
  const aliceKey = async (name: string, expiresIn?: string) => {
    const res = await w.s.call('/api/v1/apikeys', {
      method: 'POST',
      token: w.alice,
      body: JSON.stringify({ name, ...(expiresIn === undefined ? {} : { expiresIn }) }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { key, apiKey } = (await res.json()) as { key: string; apiKey: { id: string } };
    return { key, id: apiKey.id };
  };
  const revoke = async (id: string) => {
    const res = await w.s.call(`/api/v1/apikeys/${id}`, { method: 'DELETE', token: w.alice });
    assert.equal(res.status, 200, await res.clone().text());
  };
  const shareWith = async (users: string[]) => {
    const path = `/api/v1/namespaces/default/sandboxes/${web}`;
    const sandbox = (await (await w.s.call(path, { token: w.alice })).json()) as {
      spec: Record<string, unknown>;
    };
    const res = await w.s.call(path, {
      method: 'PUT',
      token: w.alice,
      body: JSON.stringify({ ...sandbox, spec: { ...sandbox.spec, sharedWith: users } }),
    });
    assert.equal(res.status, 200, await res.clone().text());
  };

  before(async () => {
    w = await startAuthWorld();
    await createWebTemplate(w);
    await w.createSandbox(web, w.alice, { kind: 'SandboxTemplate', name: 'web' });
    kept = await exchangePreviewUrl(await previewUrlOf(w, web, w.alice));
    await eventually(async () => (await get(kept)).status === 200, {
      timeoutMs: 30_000,
      what: `the app at ${kept.base} answering`,
    });
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    await w.s.close();
  });

  it('refuses a link minted before its key was revoked, and sets no cookie', async () => {
    const laptop = await aliceKey('laptop');
    const link = await previewUrlOf(w, web, laptop.key);
    await revoke(laptop.id);
    const opened = await previewRequest(link);
    assert.equal(opened.status, 401, opened.body);
    assert.equal(opened.headers['set-cookie'], undefined);
    assert.equal(refusal(opened).code, 'unauthenticated');
    assert.equal(refusal(opened).details?.reason, 'revoked_api_key');
    assert.match(refusal(opened).message, new RegExp(`${laptop.id} has been revoked`));
    const other = await exchangePreviewUrl(await previewUrlOf(w, web, w.alice));
    assert.equal((await get(other)).status, 200, "a link of alice's other key still opens");
  });

  it('refuses the cookie of a revoked key at once, over HTTP and WebSocket', async () => {
    const tablet = await aliceKey('tablet');
    const opened = await exchangePreviewUrl(await previewUrlOf(w, web, tablet.key));
    assert.equal((await get(opened)).status, 200);
    assert.equal(await upgrade(opened), 101);
    await revoke(tablet.id);
    const after = await get(opened);
    assert.equal(after.status, 401, after.body);
    assert.equal(refusal(after).details?.reason, 'revoked_api_key');
    assert.equal(after.headers['x-app'], undefined, 'nothing reached the app');
    assert.equal(await upgrade(opened), 401);
    assert.equal((await get(kept)).status, 200, "alice's other cookie still serves");
    assert.equal(await upgrade(kept), 101);
  });

  it("closes a preview WebSocket held with an expiring key's cookie when the key expires", async () => {
    const phone = await aliceKey('phone', '3s');
    const opened = await exchangePreviewUrl(await previewUrlOf(w, web, phone.key));
    const held = previewSocket(`${opened.base.replace('http://', 'ws://')}ws`, opened.cookie);
    sockets.push(held.ws);
    assert.equal((await held.outcome).status, 101);
    await new Promise<void>((resolve) => held.ws.once('close', () => resolve()));
    const after = await get(opened);
    // The cookie expired with the key it was made from.
    assert.equal(after.status, 401, after.body);
    assert.equal(refusal(after).code, 'unauthenticated');
    assert.equal(await upgrade(kept), 101, "alice's other cookie still serves");
  });

  it('refuses the cookie of a user the sandbox is no longer shared with, at once', async () => {
    await shareWith(['bob']);
    const bob = await exchangePreviewUrl(await previewUrlOf(w, web, w.bob));
    assert.equal((await get(bob)).status, 200);
    assert.equal(await upgrade(bob), 101);
    // A WebSocket bob holds open is closed by the unshare, not only refused when opened again.
    const held = previewSocket(`${bob.base.replace('http://', 'ws://')}ws`, bob.cookie);
    sockets.push(held.ws);
    assert.equal((await held.outcome).status, 101);
    const heldClosed = new Promise<void>((resolve) => held.ws.once('close', () => resolve()));
    await shareWith([]);
    await heldClosed;
    const after = await get(bob);
    assert.equal(after.status, 404, after.body);
    assert.equal(refusal(after).code, 'not_found');
    assert.match(refusal(after).message, new RegExp(`Sandbox default/${web} not found`));
    assert.equal(await upgrade(bob), 404);
    assert.equal((await get(kept)).status, 200, "the owner's cookie still serves");
  });
});
