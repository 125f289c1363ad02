/**
 * Escape attempts on what sandboxes could share on one host without a network: abstract unix
 * sockets (per network namespace), System V IPC (per ipc namespace), `/dev/shm` (a tmpfs of
 * each sandbox), and the host uid a destroyed sandbox leaves files under in a shared volume.
 * Each attempt is checked against the owner's own view first, so that it fails if the resource
 * were shared.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { SandboxRef } from '@paddock/core';
import { readState, SandboxDirs } from './sandbox-state.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const SOCKET = 'paddock-escape-probe';
const connect = `socat -T 2 - ABSTRACT-CONNECT:${SOCKET} </dev/null 2>&1 || echo refused`;

describe('escape attempts through what sandboxes on one host could share', {
  skip: skipReason,
  timeout: 60_000,
}, () => {
  let world: TestWorld;
  let owner: SandboxRef;
  let other: SandboxRef;
  before(async () => {
    world = createTestWorld();
    owner = await world.provision({}, 'owner');
    other = await world.provision({}, 'other');
  });
  after(async () => {
    await world?.cleanup();
  });

  it("cannot connect to another sandbox's abstract unix socket", async () => {
    const listener = await world.runtime.exec(owner, {
      command: ['socat', `ABSTRACT-LISTEN:${SOCKET},fork`, 'SYSTEM:echo owner-answer'],
      background: true,
    });
    try {
      let own = '';
      for (let i = 0; i < 50 && !own.includes('owner-answer'); i++)
        own = (await sh(world.runtime, owner, connect)).stdout;
      assert.match(own, /owner-answer/, 'the owner reaches its own socket');
      const theirs = await sh(world.runtime, other, connect);
      assert.doesNotMatch(theirs.stdout, /owner-answer/);
      assert.match(theirs.stdout, /refused/);
    } finally {
      await listener.signal('SIGKILL');
      await listener.exit;
    }
  });

  it("cannot see another sandbox's System V shared memory or /dev/shm", async () => {
    const made = await sh(
      world.runtime,
      owner,
      'ipcmk -M 4096 >/dev/null && echo owner-shm > /dev/shm/owner-marker && ipcs -m | grep -c "^0x"',
    );
    assert.equal(made.stdout, '1\n', made.stderr);
    const seen = await sh(
      world.runtime,
      other,
      'ipcs -m | grep -c "^0x"; ls -A /dev/shm; cat /dev/shm/owner-marker 2>/dev/null',
    );
    assert.equal(seen.stdout, '0\n');
    assert.ok(!existsSync('/dev/shm/owner-marker'), "the host's /dev/shm stays apart too");
  });

  it("cannot read a destroyed sandbox's private files in a shared volume by taking its host uid", async () => {
    const volume = { namespace: owner.namespace, name: 'shared', uid: 'vol-shared' };
    await world.runtime.volumes.ensure(volume, undefined);
    const spec = { volumes: [{ name: 'shared', mountPath: '/data' }] };
    const hostUid = (ref: SandboxRef) => readState(new SandboxDirs(world.root, ref))?.hostUid;
    const leaver = await world.provision(spec, 'leaver');
    const wrote = await sh(world.runtime, leaver, 'umask 077; echo leaver-private > /data/private');
    assert.equal(wrote.exitCode, 0, wrote.stderr);
    const uid = hostUid(leaver);
    await world.runtime.destroy(leaver);
    // Sandboxes made after it: each with a uid of its own, none the one it gave back.
    for (const name of ['later-1', 'later-2']) {
      const later = await world.provision(spec, name);
      assert.notEqual(hostUid(later), uid);
      const read = await sh(world.runtime, later, 'cat /data/private');
      assert.doesNotMatch(read.stdout, /leaver-private/);
      assert.match(read.stderr, /Permission denied/);
    }
  });
});
