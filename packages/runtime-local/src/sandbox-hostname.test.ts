import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import { SandboxDirs } from './sandbox-state.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const SHOW =
  'hostname; cat /etc/hostname; grep -c "127.0.1.1.claimant$" /etc/hosts; echo "$HOSTNAME"';

describe('renaming a sandbox host', { skip: skipReason }, () => {
  let world: TestWorld;
  let warm: SandboxRef;
  before(async () => {
    world = createTestWorld();
    warm = await world.provision({}, 'w-pool-entry');
  });
  after(async () => {
    await world?.cleanup();
  });

  it('gives a running sandbox the new name everywhere, kept across a restart', async () => {
    assert.match((await sh(world.runtime, warm, 'hostname')).stdout, /^w-pool-entry\n$/);
    await world.runtime.setHostname(warm, 'claimant');
    const expected = 'claimant\nclaimant\n1\nclaimant\n';
    assert.equal((await sh(world.runtime, warm, SHOW)).stdout, expected);
    await world.runtime.stop(warm);
    await world.runtime.start(warm);
    assert.equal((await sh(world.runtime, warm, SHOW)).stdout, expected);
  });

  it('cannot be renamed from inside, nor to a name that is not a DNS label', async () => {
    const inside = await sh(world.runtime, warm, 'hostname evil; hostname');
    assert.match(inside.stderr, /must be root|Operation not permitted/);
    assert.equal(inside.stdout, 'claimant\n');
    await assert.rejects(world.runtime.setHostname(warm, 'Bad_Name'), (e) =>
      isPaddockError(e, 'validation_failed'),
    );
  });

  it("leaves the launcher, which renames as root in its own process, in the host's UTS namespace", async () => {
    const ref = await world.provision({}, 'w-launcher');
    await world.runtime.setHostname(ref, 'claimant-2');
    assert.equal((await sh(world.runtime, ref, 'hostname')).stdout, 'claimant-2\n');
    const launchers = childrenNamed('paddock-launcher');
    assert.equal(launchers.length, 1);
    assert.equal(readlinkSync(`/proc/${launchers[0]}/ns/uts`), readlinkSync('/proc/self/ns/uts'));
  });

  it('reports a rename it could not write, leaving the recorded name as it was', async () => {
    const ref = await world.provision({}, 'w-unwritable');
    const etc = new SandboxDirs(world.root, ref).etc;
    // A directory where the generated /etc/hostname was (the sandbox keeps its bound inode).
    rmSync(join(etc, 'hostname'));
    mkdirSync(join(etc, 'hostname'));
    await assert.rejects(world.runtime.setHostname(ref, 'claimant'), (e: NodeJS.ErrnoException) => {
      assert.equal(e.code, 'EISDIR');
      assert.match(e.message, /hostname/);
      return true;
    });
    await world.runtime.stop(ref);
    rmdirSync(join(etc, 'hostname'));
    await world.runtime.start(ref);
    assert.equal((await sh(world.runtime, ref, 'cat /etc/hostname')).stdout, 'w-unwritable\n');
  });
});

/** This process's children whose command line starts with `name`. */
function childrenNamed(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return (
          ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(name)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}
