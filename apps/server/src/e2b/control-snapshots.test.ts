import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Sandbox, SandboxNotFoundError } from 'e2b';
import { type E2bWorld, startE2bWorld } from './e2b-test-support.ts';

describe("E2B's snapshots through the official SDK", () => {
  let w: E2bWorld;
  before(async () => {
    w = await startE2bWorld();
  });
  after(() => w.close());

  it('snapshots a sandbox, lists it, starts a sandbox from it and deletes it', async () => {
    const sbx = await Sandbox.create('base', { ...w.opts(w.alice), timeoutMs: 120_000 });
    const copies: Sandbox[] = [];
    try {
      await sbx.files.write('/workspace/notes.txt', 'kept');
      const named = await sbx.createSnapshot({ name: 'notes' });
      assert.deepEqual(named, { snapshotId: 'notes', names: ['notes'] });
      const stored = await w.s.engine.store.get('SandboxSnapshot', {
        namespace: 'default',
        name: 'notes',
      });
      assert.equal(stored.status?.phase, 'Ready', 'answered once the copy is taken');
      assert.equal(stored.metadata.annotations?.['paddock.dev/owner'], 'alice');
      const unnamed = await sbx.createSnapshot();
      assert.ok(unnamed.snapshotId.startsWith(`${sbx.sandboxId}-snap-`), unnamed.snapshotId);

      const page = Sandbox.listSnapshots({
        ...w.opts(w.alice),
        sandboxId: sbx.sandboxId,
        limit: 1,
      });
      const ids = [...(await page.nextItems()), ...(await page.nextItems())].map(
        (s) => s.snapshotId,
      );
      assert.deepEqual(ids.sort(), ['notes', unnamed.snapshotId].sort(), 'two pages of one');
      assert.equal(page.hasNext, false);
      const byName = await sbx.listSnapshots({ ...w.opts(w.alice), name: 'notes' }).nextItems();
      assert.deepEqual(byName, [{ snapshotId: 'notes', names: ['notes'] }]);

      const copy = await Sandbox.create(named.snapshotId, w.opts(w.alice));
      copies.push(copy);
      assert.equal(await copy.files.read('/workspace/notes.txt'), 'kept');
      assert.equal((await copy.getInfo()).templateId, 'notes');

      assert.equal(await Sandbox.deleteSnapshot(unnamed.snapshotId, w.opts(w.alice)), true);
      assert.equal(await Sandbox.deleteSnapshot(unnamed.snapshotId, w.opts(w.alice)), false);
      const left = await Sandbox.listSnapshots(w.opts(w.alice)).nextItems();
      assert.deepEqual(
        left.map((s) => s.snapshotId),
        ['notes'],
      );
    } finally {
      for (const copy of copies) await copy.kill();
      await sbx.kill();
    }
  });

  it("keeps a user's snapshots from another: not listed, not usable, not deletable", async () => {
    const sbx = await Sandbox.create('base', w.opts(w.alice));
    try {
      const { snapshotId } = await sbx.createSnapshot({ name: 'private' });
      assert.deepEqual(await Sandbox.listSnapshots(w.opts(w.bob)).nextItems(), []);
      await assert.rejects(Sandbox.create(snapshotId, w.opts(w.bob)), /404: template "private"/);
      assert.equal(await Sandbox.deleteSnapshot(snapshotId, w.opts(w.bob)), false);
      await assert.rejects(
        Sandbox.createSnapshot(sbx.sandboxId, w.opts(w.bob)),
        SandboxNotFoundError,
      );
      assert.equal(await Sandbox.deleteSnapshot(snapshotId, w.opts(w.alice)), true);
    } finally {
      await sbx.kill();
    }
  });

  it('refuses a bad snapshot name by name, and deleting a template', async () => {
    const sbx = await Sandbox.create('base', w.opts(w.alice));
    try {
      await assert.rejects(sbx.createSnapshot({ name: 'Not A Name' }), /400: .*name/);
      await assert.rejects(
        Sandbox.deleteSnapshot('base', w.opts(w.alice)),
        /501: deleting templates is not supported/,
      );
    } finally {
      await sbx.kill();
    }
  });
});
