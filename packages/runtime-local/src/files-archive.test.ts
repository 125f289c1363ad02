// An archive download is whole or fails: tar's exit is judged once its output ended, so a tar
// that left a file out, or padded a file that shrank with zeros, errors the stream instead of
// ending it as if whole. A tree that only changed while archived (GNU tar's exit 1 with "file
// changed as we read it") passes. Each mutation happens while tar waits on the pipe mid-file: the
// stream pulls only as it is read.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import { decodeTar } from '@paddock/testkit';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const MiB = 1024 * 1024;
/** Far more than the pipe and the stream buffers hold: tar is still reading it when paused. */
const BIG_BYTES = 64 * MiB;

describe('archive downloads of a sandbox', { skip: skipReason, timeout: 60_000 }, () => {
  let world: TestWorld;
  let ref: SandboxRef;
  const inBox = async (script: string) => {
    const result = await sh(world.runtime, ref, script);
    assert.equal(result.exitCode, 0, result.stderr);
  };
  /** The archive's bytes, read to the end; `midway` runs once the first chunk came. */
  const download = async (path: string, midway?: () => Promise<void>) => {
    const reader = (await world.runtime.files.download(ref, path)).getReader();
    const chunks: Uint8Array[] = [];
    const first = await reader.read();
    assert.equal(first.done, false);
    chunks.push(first.value ?? new Uint8Array());
    await midway?.();
    for (;;) {
      const next = await reader.read();
      if (next.done) return Buffer.concat(chunks);
      chunks.push(next.value);
    }
  };
  before(async () => {
    world = createTestWorld();
    ref = await world.provision();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('errors the stream when tar cannot read a file of the tree, naming it', async () => {
    await inBox(
      'mkdir -p /workspace/locked && echo open > /workspace/locked/a && echo shut > /workspace/locked/b && chmod 000 /workspace/locked/b',
    );
    await assert.rejects(download('/workspace/locked'), (e) => {
      assert.ok(isPaddockError(e, 'internal'), String(e));
      assert.match(
        e.message,
        /archive of \/workspace\/locked is incomplete: .*locked\/b: Cannot open: Permission denied/,
      );
      return true;
    });
    await inBox('chmod 644 /workspace/locked/b');
    const names = decodeTar(await download('/workspace/locked')).map((e) => e.path);
    assert.deepEqual(names.sort(), ['locked', 'locked/a', 'locked/b']);
  });

  it('errors the stream when a file shrinks while tar reads it (padded with zeros it never held)', async () => {
    await inBox(`mkdir -p /workspace/shrink && truncate -s ${BIG_BYTES} /workspace/shrink/big`);
    await assert.rejects(
      download('/workspace/shrink', () => inBox('truncate -s 1024 /workspace/shrink/big')),
      (e) => {
        assert.ok(isPaddockError(e, 'internal'), String(e));
        assert.match(e.message, /File shrank by \d+ bytes/);
        return true;
      },
    );
  });

  it('passes a file that grows while tar reads it: its member holds the size it had', async () => {
    await inBox(`mkdir -p /workspace/grow && truncate -s ${BIG_BYTES} /workspace/grow/big`);
    const archive = await download('/workspace/grow', () =>
      inBox('printf more >> /workspace/grow/big'),
    );
    const [big] = decodeTar(archive).filter((e) => e.path === 'grow/big');
    assert.equal(big?.type, 'file');
    assert.equal(big?.type === 'file' ? big.data.byteLength : -1, BIG_BYTES);
  });
});
