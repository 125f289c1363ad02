// The files API against a sandbox that fights back: a file swapped for a fifo between the check
// and the open, and a sparse file far larger than a read may answer. Each case fails without the
// protection it exercises (a hung call fails by the test's timeout).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, MAX_FILE_READ_BYTES, type SandboxRef } from '@paddock/core';
import { findExecutable } from './host-binaries.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (data: Uint8Array) => new TextDecoder().decode(data);

describe('files of a hostile sandbox', { skip: skipReason, timeout: 60_000 }, () => {
  let world: TestWorld;
  let ref: SandboxRef;
  before(async () => {
    world = createTestWorld();
    ref = await world.provision();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('never hangs on a file swapped for a fifo while it is read or written', {
    timeout: 30_000,
  }, async () => {
    const { files } = world.runtime;
    // `target` is, in turn and atomically (rename), a hard link of a regular file and of a fifo.
    await sh(
      world.runtime,
      ref,
      'mkdir /workspace/swap && cd /workspace/swap && mkfifo fifo && printf content > regular',
    );
    const swapper = await world.runtime.exec(ref, {
      command: [
        'perl',
        '-e',
        'chdir "/workspace/swap"; while (1) { for my $f ("fifo", "regular") { link $f, "t"; rename "t", "target" } }',
      ],
      background: true,
    });
    try {
      let running = '';
      for (let i = 0; i < 100 && running === ''; i++)
        running = (await sh(world.runtime, ref, 'pgrep -x perl || true')).stdout;
      assert.notEqual(running, '');
      const outcomes = new Set<string>();
      for (let i = 0; i < 40; i++) {
        // A fifo swapped in after the check reads as what it holds: nothing (no writer). Met
        // after the regular file was sized, it is fewer bytes than sized: refused as changed,
        // never answered cut short.
        const read = await files.read(ref, '/workspace/swap/target').then(decode, refused);
        assert.ok(['content', '', 'refused', 'changed'].includes(read), `read answered ${read}`);
        outcomes.add(`read ${read}`);
        const wrote = await files
          .write(ref, '/workspace/swap/target', encode('content'))
          .then(() => 'written', refused);
        outcomes.add(`write ${wrote}`);
      }
      // The swap was seen: some calls met the fifo at their check.
      assert.ok(
        outcomes.has('read refused') || outcomes.has('write refused'),
        [...outcomes].join(),
      );
    } finally {
      await swapper.signal('SIGKILL');
      await swapper.exit;
    }
  });

  it(`refuses to read a sparse file past ${MAX_FILE_READ_BYTES} bytes as payload_too_large naming the limit`, async () => {
    const { files } = world.runtime;
    await sh(
      world.runtime,
      ref,
      `truncate -s 100G /workspace/sparse && truncate -s ${MAX_FILE_READ_BYTES} /workspace/at-limit &&
       ln -s sparse /workspace/to-sparse`,
    );
    for (const path of ['/workspace/sparse', '/workspace/to-sparse']) {
      await assert.rejects(files.read(ref, path), (e) => {
        assert.ok(isPaddockError(e, 'payload_too_large'), String(e));
        assert.match(e.message, new RegExp(`larger than ${MAX_FILE_READ_BYTES} bytes`));
        assert.deepEqual(e.details, { path, limitBytes: MAX_FILE_READ_BYTES });
        return true;
      });
    }
    // A file of exactly the limit still reads whole.
    assert.equal((await files.read(ref, '/workspace/at-limit')).byteLength, MAX_FILE_READ_BYTES);
  });
});

const gvisorSkip =
  skipReason ??
  (findExecutable('runsc') === undefined ? 'runsc (gVisor) is not installed' : undefined);

describe('files of a gVisor sandbox past the read limit', {
  skip: gvisorSkip,
  timeout: 60_000,
}, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('refuses a sparse file past the limit and reads a small one', async () => {
    const ref = await world.provision({ isolation: 'gvisor' });
    const { files } = world.runtime;
    await sh(
      world.runtime,
      ref,
      'truncate -s 100G /workspace/sparse && printf small > /workspace/small',
    );
    await assert.rejects(files.read(ref, '/workspace/sparse'), (e) =>
      isPaddockError(e, 'payload_too_large'),
    );
    assert.equal(decode(await files.read(ref, '/workspace/small')), 'small');
  });
});

/**
 * `refused` for the files API's answer to what is not a regular file: `validation_failed`, which
 * names it when it still is none after the failure (else the tool's own reason: opening a fifo
 * without a reader for writing is ENXIO); `changed` for a read that met the fifo after sizing the
 * file (`conflict`). Anything else is rethrown.
 */
function refused(error: unknown): string {
  if (isPaddockError(error, 'validation_failed')) return 'refused';
  if (isPaddockError(error, 'conflict')) return 'changed';
  throw error;
}
