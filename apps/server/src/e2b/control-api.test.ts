import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@paddock/testkit';
import { AuthenticationError, Sandbox, SandboxError, SandboxNotFoundError } from 'e2b';
import { type E2bWorld, startE2bWorld } from './e2b-test-support.ts';

describe('the E2B control API through the official SDK', () => {
  let w: E2bWorld;
  before(async () => {
    w = await startE2bWorld();
  });
  after(() => w.close());

  it('creates a sandbox from base with metadata, envs and a timeout, and tells its info', async () => {
    const sbx = await Sandbox.create('base', {
      ...w.opts(w.alice),
      metadata: { purpose: 'info' },
      envs: { FOO: 'bar' },
      timeoutMs: 120_000,
    });
    try {
      assert.match(sbx.sandboxId, /^i[a-z0-9]{19}$/);
      const info = await Sandbox.getInfo(sbx.sandboxId, w.opts(w.alice));
      assert.equal(info.state, 'running');
      assert.equal(info.templateId, 'base');
      assert.deepEqual(info.metadata, { purpose: 'info' });
      assert.equal(info.cpuCount, 2);
      assert.equal(info.memoryMB, 512);
      const left = info.endAt.getTime() - Date.now();
      assert.ok(left > 60_000 && left <= 120_000, `ends in about two minutes: ${left} ms`);
      assert.equal(await sbx.isRunning(), true);
      const stored = await w.s.engine.store.get('Sandbox', {
        namespace: 'default',
        name: sbx.sandboxId,
      });
      assert.deepEqual(stored.spec.overrides?.env, [{ name: 'FOO', value: 'bar' }]);
    } finally {
      await sbx.kill();
    }
  });

  it("lists by state and metadata, a page at a time, and only the caller's", async () => {
    const tag = { suite: `list-${Date.now()}` };
    const made = await Promise.all(
      [1, 2, 3].map(() => Sandbox.create('base', { ...w.opts(w.alice), metadata: tag })),
    );
    const bobs = await Sandbox.create('base', { ...w.opts(w.bob), metadata: tag });
    try {
      const paginator = Sandbox.list({
        ...w.opts(w.alice),
        query: { metadata: tag, state: ['running'] },
        limit: 2,
      });
      const first = await paginator.nextItems();
      assert.equal(first.length, 2);
      assert.equal(paginator.hasNext, true);
      const second = await paginator.nextItems();
      assert.equal(second.length, 1);
      assert.equal(paginator.hasNext, false);
      assert.deepEqual(
        [...first, ...second].map((s) => s.sandboxId).sort(),
        made.map((s) => s.sandboxId).sort(),
        "alice sees her three, not bob's",
      );
      const paused = await Sandbox.list({
        ...w.opts(w.alice),
        query: { metadata: tag, state: ['paused'] },
      }).nextItems();
      assert.deepEqual(paused, []);
    } finally {
      await Promise.all([...made, bobs].map((s) => s.kill()));
    }
  });

  it("refuses another user's sandbox as not found, and a wrong key as unauthenticated", async () => {
    const sbx = await Sandbox.create('base', w.opts(w.alice));
    try {
      await assert.rejects(Sandbox.getInfo(sbx.sandboxId, w.opts(w.bob)), SandboxNotFoundError);
      assert.equal(await Sandbox.kill(sbx.sandboxId, w.opts(w.bob)), false);
      await assert.rejects(Sandbox.connect(sbx.sandboxId, w.opts(w.bob)), SandboxNotFoundError);
      await assert.rejects(
        Sandbox.setTimeout(sbx.sandboxId, 1_000, w.opts(w.bob)),
        SandboxNotFoundError,
      );
      await assert.rejects(Sandbox.list(w.opts('pdk_wrong')).nextItems(), AuthenticationError);
      assert.equal((await Sandbox.getInfo(sbx.sandboxId, w.opts(w.alice))).state, 'running');
    } finally {
      await sbx.kill();
    }
  });

  it("says an unknown template is not found, with E2B's error shape", async () => {
    const error = await Sandbox.create('no-such-template', w.opts(w.alice)).catch(
      (e: unknown) => e,
    );
    assert.ok(error instanceof SandboxError, String(error));
    assert.match((error as Error).message, /404: template "no-such-template" not found/);
    assert.doesNotMatch((error as Error).message, /object Object/);
  });

  it('kills a sandbox at its timeout, which setTimeout moves', async () => {
    const sbx = await Sandbox.create('base', { ...w.opts(w.alice), timeoutMs: 600_000 });
    await sbx.setTimeout(2_000);
    const info = await sbx.getInfo();
    assert.ok(info.endAt.getTime() - Date.now() <= 2_000, 'the end moved');
    await eventually(
      async () =>
        await Sandbox.kill(sbx.sandboxId, w.opts(w.alice))
          .then(() => Sandbox.getInfo(sbx.sandboxId, w.opts(w.alice)))
          .then(
            () => undefined,
            (e: unknown) => (e instanceof SandboxNotFoundError ? true : undefined),
          ),
      { timeoutMs: 30_000, what: 'the sandbox gone at its timeout' },
    );
  });

  it('pauses a sandbox (its processes and memory kept) and connect resumes it', async () => {
    const sbx = await Sandbox.create('base', { ...w.opts(w.alice), timeoutMs: 600_000 });
    try {
      // /tmp is a tmpfs: a stop would lose it, a pause keeps it.
      await sbx.files.write('/tmp/kept.txt', 'kept');
      assert.equal(await sbx.pause(), true);
      assert.equal((await sbx.getInfo()).state, 'paused');
      assert.equal(await Sandbox.pause(sbx.sandboxId, w.opts(w.alice)), false, 'already paused');
      const again = await Sandbox.connect(sbx.sandboxId, w.opts(w.alice));
      assert.equal(again.sandboxId, sbx.sandboxId);
      assert.equal((await again.getInfo()).state, 'running');
      assert.equal(await again.isRunning(), true);
      assert.equal(await again.files.read('/tmp/kept.txt'), 'kept');
    } finally {
      await sbx.kill();
    }
  });

  it('reports a policy violation as the error the SDK shows', async () => {
    const removePolicy = await w.clusterPolicy({ maxTimeout: '1h' });
    try {
      const error = await Sandbox.create('base', {
        ...w.opts(w.alice),
        timeoutMs: 2 * 3_600_000,
      }).catch((e: unknown) => e);
      assert.ok(error instanceof SandboxError, String(error));
      assert.match((error as Error).message, /^403: .*timeout/);
      const ok = await Sandbox.create('base', { ...w.opts(w.alice), timeoutMs: 60_000 });
      await assert.rejects(ok.setTimeout(2 * 3_600_000), /403: .*timeout/);
      await ok.kill();
    } finally {
      await removePolicy();
    }
  });

  it('kills a sandbox: true once, then false, and it is gone', async () => {
    const sbx = await Sandbox.create('base', w.opts(w.alice));
    assert.equal(await Sandbox.kill(sbx.sandboxId, w.opts(w.alice)), true);
    await assert.rejects(Sandbox.getInfo(sbx.sandboxId, w.opts(w.alice)), SandboxNotFoundError);
    assert.equal(await Sandbox.kill(sbx.sandboxId, w.opts(w.alice)), false);
  });

  it('refuses secure: false on a server that authenticates (envd would need no credential)', async () => {
    // The SDK 2.x always asks for a secure sandbox; older clients and raw callers may not.
    const res = await fetch(`${w.s.url}/e2b/v2/sandboxes`, {
      method: 'POST',
      headers: { 'x-api-key': w.alice, 'content-type': 'application/json' },
      body: JSON.stringify({ templateID: 'base', secure: false }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { code: number; message: string };
    assert.equal(body.code, 400);
    assert.match(body.message, /secure is not supported by Paddock/);
    const { items } = await w.s.engine.store.list('Sandbox', { namespace: 'default' });
    assert.ok(
      !items.some((s) => s.metadata.annotations?.['paddock.dev/e2b-secure'] === 'false'),
      'no insecure sandbox was made',
    );
  });

  it('answers calls Paddock does not offer with an E2B error saying so', async () => {
    const sbx = await Sandbox.create('base', w.opts(w.alice));
    try {
      await assert.rejects(
        sbx.updateNetwork({ allowOut: ['example.com'] }),
        /501: changing a running sandbox's network is not supported/,
      );
      await assert.rejects(
        Sandbox.create('base', { ...w.opts(w.alice), volumeMounts: { '/data': 'vol' } }),
        /400: .*volumeMounts/,
      );
    } finally {
      await sbx.kill();
    }
  });
});
