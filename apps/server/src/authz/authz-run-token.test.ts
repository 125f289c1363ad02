// A run's token (what its sandbox holds instead of a provider key) used as an API credential on a
// server with several users: it reads as the run's owner with the user role only, so alice's run
// sees none of bob's objects through REST or the Kubernetes API, an admin's run sees no more than
// a user's, and once the run has ended the token opens neither the API nor the LLM gateway, nor
// once it was deleted, for a new run made under its name.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { uniqueName } from '../ws/test-users.ts';
import {
  type AuthzWorld,
  commandAgent,
  type JsonValue,
  manifest,
  nsPath,
  type Role,
  startAuthzWorld,
  waitForRunEnd,
} from './authz-fixtures.ts';

const SHELL = { kind: 'ClusterSandboxTemplate', name: 'shell' };
const TOKEN_FILE = '/workspace/.run-token';
const GATE = '/workspace/.run-gate';
/** The command a run's agent runs: keep its token where its owner can read it, then wait. */
const KEEP_TOKEN = `printf %s "$ANTHROPIC_API_KEY" > ${TOKEN_FILE}; while [ ! -e ${GATE} ]; do sleep 0.1; done`;

describe("a run's token reads as its owner, with the user role, while the run lasts", {
  skip: bwrapSkipReason(),
  timeout: 300_000,
}, () => {
  let fx: AuthzWorld;
  /** Bob's objects, which no run of alice's or of an admin may see. */
  const bobs = { sandbox: uniqueName('bob-box'), run: uniqueName('bob-run') };
  const runs = { alice: uniqueName('alice-run'), admin: uniqueName('admin-run') };
  const tokens = { alice: '', admin: '' };
  let adminBox = '';

  /** Starts `role`'s run in `sandbox` (alice's: her shared box; admin's: one of its own). */
  const startRun = async (role: Role, name: string, sandbox: object) => {
    await fx.json(role, nsPath('runs'), 201, {
      method: 'POST',
      body: manifest('Run', name, { agent: commandAgent(KEEP_TOKEN), prompt: 'x', sandbox }),
    });
  };
  const tokenIn = (role: Role, sandbox: () => string) =>
    eventually(
      async () => {
        const res = await fx.call(
          role,
          `${nsPath('sandboxes')}/${sandbox()}/files?path=${TOKEN_FILE}`,
        );
        const text = await res.text();
        return res.status === 200 && text.startsWith('pgt_') ? text : undefined;
      },
      { timeoutMs: 60_000, what: `the run token in ${sandbox()}` },
    );
  const asToken = (token: string, path: string, init: RequestInit = {}) =>
    fx.w.s.call(path, { ...init, token });

  before(async () => {
    fx = await startAuthzWorld();
    await fx.json('other', nsPath('sandboxes'), 201, {
      method: 'POST',
      body: manifest('Sandbox', bobs.sandbox, { templateRef: SHELL, desiredState: 'Stopped' }),
    });
    await fx.json('other', nsPath('runs'), 201, {
      method: 'POST',
      body: manifest('Run', bobs.run, {
        agent: commandAgent('true'),
        prompt: 'x',
        sandbox: { templateRef: SHELL },
      }),
    });
    await startRun('owner', runs.alice, { name: fx.box });
    await startRun('admin', runs.admin, { templateRef: SHELL });
    tokens.alice = await tokenIn('owner', () => fx.box);
    const adminRun = await eventually(
      async () =>
        (await fx.json<JsonValue>('admin', `${nsPath('runs')}/${runs.admin}`, 200)).status
          ?.sandboxName as string | undefined,
      { what: "the admin run's sandbox" },
    );
    adminBox = adminRun;
    tokens.admin = await tokenIn('admin', () => adminBox);
  });
  after(async () => {
    await fx?.close();
  });

  it("sees its owner's objects and none of bob's, through REST and the Kubernetes API", async () => {
    const wrong: string[] = [];
    for (const who of ['alice', 'admin'] as const) {
      const token = tokens[who];
      const me = (await (await asToken(token, '/api/v1/users/me')).json()) as JsonValue;
      if (me.authMethod !== 'run-token' || me.role !== 'user') {
        wrong.push(`${who}: /users/me says ${JSON.stringify(me)}`);
      }
      for (const path of [
        `${nsPath('sandboxes')}/${bobs.sandbox}`,
        `${nsPath('runs')}/${bobs.run}`,
        `${nsPath('runs')}/${bobs.run}/events`,
        `/apis/paddock.dev/v1alpha1/namespaces/default/sandboxes/${bobs.sandbox}`,
        `/apis/paddock.dev/v1alpha1/namespaces/default/runs/${bobs.run}`,
      ]) {
        const res = await asToken(token, path);
        await res.body?.cancel();
        if (res.status !== 404) wrong.push(`${who}: GET ${path}: ${res.status}`);
      }
      for (const path of [
        nsPath('sandboxes'),
        nsPath('runs'),
        '/apis/paddock.dev/v1alpha1/namespaces/default/sandboxes',
      ]) {
        const res = await asToken(token, path);
        const body = (await res.json()) as JsonValue;
        const names = ((body.items ?? []) as JsonValue[]).map((i) => i.metadata.name as string);
        if (res.status !== 200) wrong.push(`${who}: GET ${path}: ${res.status}`);
        if (names.includes(bobs.sandbox) || names.includes(bobs.run)) {
          wrong.push(`${who}: ${path} lists bob's`);
        }
      }
    }
    // The owner's own: alice's run sees her sandbox (positive control).
    const own = await asToken(tokens.alice, `${nsPath('sandboxes')}/${fx.box}`);
    await own.body?.cancel();
    if (own.status !== 200) wrong.push(`alice: her own sandbox: ${own.status}`);
    assert.deepEqual(wrong, []);
  });

  it('opens neither the API nor the gateway once its run has ended', async () => {
    const { port } = fx.w.s.engine.gateway.server.address() as AddressInfo;
    const gateway = (token: string) =>
      fetch(`http://127.0.0.1:${port}/gateway/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': token },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 1,
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
    const during = await gateway(tokens.alice);
    const duringText = await during.text();
    assert.notEqual(during.status, 401, `refused while its run lasts: ${duringText}`);
    // A stream the run's token opened while the run lasted ends with the run.
    const abort = new AbortController();
    const watch = await fetch(`${fx.w.s.url}${nsPath('sandboxes')}?watch=true`, {
      signal: abort.signal,
      headers: { accept: 'text/event-stream', authorization: `Bearer ${tokens.alice}` },
    });
    assert.equal(watch.status, 200);
    const reader = watch.body?.getReader();
    const watchEnded = (async () => {
      try {
        while ((await reader?.read())?.done === false) {}
      } catch {}
      return 'ended' as const;
    })();
    // Alice opens the gate: her run ends.
    await fx.json('owner', `${nsPath('sandboxes')}/${fx.box}/files?path=${GATE}`, 200, {
      method: 'PUT',
      bytes: new TextEncoder().encode('go'),
      contentType: 'application/octet-stream',
    });
    const ended = await waitForRunEnd(fx.call, runs.alice);
    assert.equal(ended.status.phase, 'Succeeded', JSON.stringify(ended.status));
    const late = await gateway(tokens.alice);
    const lateText = await late.text();
    assert.equal(late.status, 401, lateText);
    assert.match(lateText, /is over/);
    const api = await asToken(tokens.alice, `${nsPath('sandboxes')}/${fx.box}`);
    await api.body?.cancel();
    assert.equal(api.status, 401);
    let timer: NodeJS.Timeout | undefined;
    const open = new Promise<'open'>((resolve) => {
      timer = setTimeout(() => resolve('open'), 10_000);
    });
    const outcome = await Promise.race([watchEnded, open]);
    clearTimeout(timer);
    abort.abort();
    assert.equal(outcome, 'ended', "the run's watch outlived its run");
  });

  it("is refused for a new run made under its run's name once that run was deleted", async () => {
    const { port } = fx.w.s.engine.gateway.server.address() as AddressInfo;
    const gateway = (token: string) =>
      fetch(`http://127.0.0.1:${port}/gateway/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': token },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 1,
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
    const old = tokens.admin;
    const runPath = `${nsPath('runs')}/${runs.admin}`;
    const deleted = await fx.call('admin', runPath, { method: 'DELETE' });
    await deleted.body?.cancel();
    assert.ok(deleted.ok, `delete: ${deleted.status}`);
    await eventually(
      async () => {
        const res = await fx.call('admin', runPath);
        await res.body?.cancel();
        return res.status === 404 ? true : undefined;
      },
      { timeoutMs: 60_000, what: `run ${runs.admin} gone` },
    );
    // The sandbox the run made goes with it; the new run makes one of the same name.
    await eventually(
      async () => {
        const res = await fx.call('admin', `${nsPath('sandboxes')}/${adminBox}`);
        await res.body?.cancel();
        return res.status === 404 ? true : undefined;
      },
      { timeoutMs: 60_000, what: `sandbox ${adminBox} gone` },
    );
    await startRun('admin', runs.admin, { templateRef: SHELL });
    const box = await eventually(
      async () =>
        (await fx.json<JsonValue>('admin', runPath, 200)).status?.sandboxName as string | undefined,
      { what: "the new run's sandbox" },
    );
    const renewed = await tokenIn('admin', () => box);
    assert.notEqual(renewed, old);
    const fresh = await asToken(renewed, `${nsPath('runs')}/${runs.admin}`);
    await fresh.body?.cancel();
    assert.equal(fresh.status, 200, "the new run's own token is accepted");
    const api = await asToken(old, `${nsPath('runs')}/${runs.admin}`);
    const apiText = await api.text();
    assert.equal(api.status, 401, apiText);
    const late = await gateway(old);
    const lateText = await late.text();
    assert.equal(late.status, 401, lateText);
    await fx.json('admin', `${nsPath('sandboxes')}/${box}/files?path=${GATE}`, 200, {
      method: 'PUT',
      bytes: new TextEncoder().encode('go'),
      contentType: 'application/octet-stream',
    });
    await waitForRunEnd(fx.call, runs.admin);
  });
});
