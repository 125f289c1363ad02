/**
 * Escape attempts on what sandboxes could share on one host without a network: abstract unix
 * sockets (per network namespace), System V IPC (per ipc namespace) and `/dev/shm` (a tmpfs of
 * each sandbox). Each attempt is checked against the owner's own view first, so that it fails
 * if the resource were shared.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { SandboxRef } from '@paddock/core';
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
});
