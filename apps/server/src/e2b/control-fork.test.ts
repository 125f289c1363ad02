import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@paddock/testkit';
import { Sandbox, SandboxNotFoundError } from 'e2b';
import { type E2bWorld, startE2bWorld } from './e2b-test-support.ts';

type Json = Record<string, unknown>;

describe("E2B's fork through the official SDK", () => {
  let w: E2bWorld;
  before(async () => {
    w = await startE2bWorld();
  });
  after(() => w.close());

  /** The SandboxSnapshots a fork of `sandboxId` took that are still stored. */
  const forkSnapshotsOf = async (sandboxId: string) =>
    (await w.s.engine.store.list('SandboxSnapshot', { namespace: 'default' })).items.filter(
      (s) => s.metadata.annotations?.['paddock.dev/e2b-fork-of'] === sandboxId,
    );
  /** The Sandboxes labelled as forked from `sandboxId`. */
  const forksOf = async (sandboxId: string) =>
    (
      await w.s.engine.store.list('Sandbox', {
        namespace: 'default',
        labelSelector: `paddock.dev/forked-from=${sandboxId}`,
      })
    ).items;

  it('forks a sandbox: its files copied, each copy its own, every one runs commands', async () => {
    const sbx = await Sandbox.create('base', {
      ...w.opts(w.alice),
      metadata: { purpose: 'fork' },
      timeoutMs: 300_000,
    });
    const forks: Sandbox[] = [];
    try {
      await sbx.files.write('/workspace/before.txt', 'before');
      const endAt = (await sbx.getInfo()).endAt.getTime();
      const results = await sbx.fork({ count: 2, timeoutMs: 60_000 });
      for (const r of results) if (r instanceof Sandbox) forks.push(r);
      assert.equal(forks.length, 2, `two forks started: ${results.map(String).join(', ')}`);
      const [one, two] = forks as [Sandbox, Sandbox];
      assert.notEqual(one.sandboxId, two.sandboxId);
      assert.ok(![one, two].some((f) => f.sandboxId === sbx.sandboxId), 'each fork is new');

      assert.equal(await one.files.read('/workspace/before.txt'), 'before');
      await one.files.write('/workspace/after.txt', 'fork only');
      assert.equal(await sbx.files.exists('/workspace/after.txt'), false, 'not in the source');
      assert.equal(await two.files.exists('/workspace/after.txt'), false, 'not in the other fork');
      await sbx.files.write('/workspace/before.txt', 'changed in the source');
      assert.equal(await one.files.read('/workspace/before.txt'), 'before');

      const ran = await Promise.all(
        [sbx, one, two].map((s) => s.commands.run('cat /workspace/before.txt')),
      );
      assert.deepEqual(
        ran.map((r) => [r.exitCode, r.stdout]),
        [
          [0, 'changed in the source'],
          [0, 'before'],
          [0, 'before'],
        ],
      );

      const info = await one.getInfo();
      assert.equal(info.state, 'running');
      assert.equal(info.templateId, 'base', "the source's template");
      assert.deepEqual(info.metadata, { purpose: 'fork' }, "the source's metadata");
      const left = info.endAt.getTime() - Date.now();
      assert.ok(left > 0 && left <= 60_000, `a fork ends at its own timeout: ${left} ms`);
      const source = await sbx.getInfo();
      assert.equal(source.state, 'running');
      assert.equal(source.endAt.getTime(), endAt, "the source's end is untouched");

      assert.deepEqual(
        (await forksOf(sbx.sandboxId)).map((s) => s.metadata.name).sort(),
        [one.sandboxId, two.sandboxId].sort(),
      );
      assert.deepEqual(await Sandbox.listSnapshots(w.opts(w.alice)).nextItems(), []);
      await eventually(
        async () => ((await forkSnapshotsOf(sbx.sandboxId)).length === 0 ? true : undefined),
        {
          timeoutMs: 10_000,
          what: "the fork's snapshot deleted",
        },
      );
      const audit = await eventually(
        async () => {
          const res = await w.s.call('/api/v1/audit?action=sandbox.fork&limit=20', {
            token: w.admin,
          });
          const { items } = (await res.json()) as { items: Json[] };
          return items.find((r) => r.target === `Sandbox/default/${sbx.sandboxId}`);
        },
        { timeoutMs: 10_000, what: 'the audit record of the fork' },
      );
      assert.equal(audit.actor, 'alice');
      assert.deepEqual(
        ((audit.details as Json).forks as string[]).sort(),
        [one.sandboxId, two.sandboxId].sort(),
      );
    } finally {
      await Promise.all([...forks, sbx].map((s) => s.kill()));
    }
  });

  it('forks a paused sandbox, which stays paused', async () => {
    const sbx = await Sandbox.create('base', { ...w.opts(w.alice), timeoutMs: 120_000 });
    const forks: Sandbox[] = [];
    try {
      await sbx.files.write('/workspace/paused.txt', 'paused');
      assert.equal(await sbx.pause(), true);
      const [fork] = await Sandbox.fork(sbx.sandboxId, w.opts(w.alice));
      assert.ok(fork instanceof Sandbox, String(fork));
      forks.push(fork);
      assert.equal(await fork.files.read('/workspace/paused.txt'), 'paused');
      assert.equal((await sbx.getInfo()).state, 'paused');
    } finally {
      await Promise.all([...forks, sbx].map((s) => s.kill()));
    }
  });

  it("refuses a missing sandbox and another user's as not found, forking nothing", async () => {
    await assert.rejects(
      Sandbox.fork('inosuchsandbox000000', w.opts(w.alice)),
      (e: unknown) =>
        e instanceof SandboxNotFoundError &&
        /sandbox "inosuchsandbox000000" not found/.test(e.message),
    );
    const sbx = await Sandbox.create('base', w.opts(w.alice));
    try {
      await assert.rejects(Sandbox.fork(sbx.sandboxId, w.opts(w.bob)), SandboxNotFoundError);
      assert.deepEqual(await forksOf(sbx.sandboxId), []);
      assert.deepEqual(await forkSnapshotsOf(sbx.sandboxId), [], 'no snapshot was taken');
      await assert.rejects(sbx.fork({ count: 0 }), /400: .*count/);
    } finally {
      await sbx.kill();
    }
  });

  it('answers a fork that policy refuses with its own error in the list, not a failed call', async () => {
    const removePolicy = await w.clusterPolicy({ sandboxes: { maxPerUser: 1 } });
    const sbx = await Sandbox.create('base', w.opts(w.alice));
    const started: Sandbox[] = [];
    try {
      const results = await sbx.fork({ count: 2 });
      for (const r of results) if (r instanceof Sandbox) started.push(r);
      assert.equal(results.length, 2);
      for (const refused of results) {
        assert.ok(refused instanceof Error, String(refused));
        assert.match(refused.message, /^403: .*user_quota_exceeded/);
      }
      assert.deepEqual(await forksOf(sbx.sandboxId), [], 'no fork was stored');
      await eventually(
        async () => ((await forkSnapshotsOf(sbx.sandboxId)).length === 0 ? true : undefined),
        { timeoutMs: 10_000, what: "the fork's snapshot deleted" },
      );
      assert.equal((await sbx.commands.run('true')).exitCode, 0, 'the source runs on');
    } finally {
      await Promise.all([...started, sbx].map((s) => s.kill()));
      await removePolicy();
    }
  });
});
