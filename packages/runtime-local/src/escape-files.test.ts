/**
 * Escape attempts through what Paddock does on a sandbox's behalf: the files API, snapshots, and
 * stop/destroy of processes that try to slip away. Each fails if the protection it exercises is
 * missing. The lexical cases of the files API (`..`, links leaving the writable roots) are in the
 * runtime contract (runtime-contract.test.ts); these plant things the lexical check lets through.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import { findExecutable } from './host-binaries.ts';
import { readState, SandboxDirs } from './sandbox-state.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (data: Uint8Array) => new TextDecoder().decode(data);

/**
 * Host pids of live processes running as `uid`, in or out of any cgroup (zombies left for the
 * host's init to reap run nothing).
 */
function processesOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) continue;
      if (new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status)) pids.push(Number(name));
    } catch {}
  }
  return pids;
}

describe('escape attempts through the files API and snapshots', {
  skip: skipReason,
  timeout: 60_000,
}, () => {
  let world: TestWorld;
  let victim: SandboxRef;
  let attacker: SandboxRef;
  let victimSecret: string;
  let database: string;
  before(async () => {
    world = createTestWorld();
    database = join(world.dataDir, 'paddock.db');
    writeFileSync(database, 'paddock-secret-db');
    victim = await world.provision({}, 'victim');
    attacker = await world.provision({}, 'attacker');
    await world.runtime.files.write(victim, '/workspace/secret.txt', encode('victim-secret'));
    victimSecret = join(new SandboxDirs(world.root, victim).workspace, 'secret.txt');
  });
  after(async () => {
    await world?.cleanup();
  });

  it('answers a planted fifo with validation_failed instead of hanging read or write', {
    timeout: 10_000,
  }, async () => {
    const { files } = world.runtime;
    await sh(world.runtime, attacker, 'mkfifo /workspace/fifo && ln -s fifo /workspace/to-fifo');
    // Without the check, `cat` blocks opening the fifo and the call never answers (the test's
    // timeout fails it).
    for (const path of ['/workspace/fifo', '/workspace/to-fifo']) {
      for (const call of [
        () => files.read(attacker, path),
        () => files.write(attacker, path, encode('x')),
      ]) {
        await assert.rejects(call(), (e) => {
          assert.ok(isPaddockError(e, 'validation_failed'), String(e));
          assert.match(e.message, /not a regular file/);
          return true;
        });
      }
    }
    // Ordinary files still read and write.
    await files.write(attacker, '/workspace/plain', encode('plain'));
    assert.equal(decode(await files.read(attacker, '/workspace/plain')), 'plain');
  });

  it("follows a planted link inside the sandbox, as its user: another sandbox's files and Paddock's database stay out of reach", async () => {
    const { files } = world.runtime;
    // Host paths the lexical check may let through (the test's data directory lies under the
    // host's temp dir, and `/tmp` is a writable root): only the sandbox's own view resolves them.
    const victimWorkspace = join(victimSecret, '..');
    await sh(
      world.runtime,
      attacker,
      `ln -s '${victimSecret}' /workspace/secret-link && ln -s '${database}' /tmp/db-link &&
       ln -s '${victimWorkspace}' /workspace/dir-link`,
    );
    for (const path of ['/workspace/secret-link', '/tmp/db-link']) {
      const read = await files.read(attacker, path).then(decode, (e: unknown) => e);
      // A link dangling in the sandbox's view: the read fails (no host file behind it).
      assert.ok(read instanceof Error, `read ${path} answered ${JSON.stringify(read)}`);
      assert.doesNotMatch(read.message, /victim-secret|paddock-secret-db/);
    }
    // Writing, uploading and listing through the links touch nothing on the host.
    await files.write(attacker, '/workspace/secret-link', encode('overwritten')).catch(() => {});
    await files.write(attacker, '/workspace/dir-link/planted', encode('planted')).catch(() => {});
    await files.mkdir(attacker, '/workspace/dir-link/made').catch(() => {});
    const listed = await files.list(attacker, '/workspace/dir-link').catch(() => []);
    assert.ok(!listed.some((info) => info.name === 'secret.txt'), 'listed the victim');
    assert.equal(readFileSync(victimSecret, 'utf8'), 'victim-secret');
    assert.equal(readFileSync(database, 'utf8'), 'paddock-secret-db');
    assert.deepEqual(readdirSync(victimWorkspace), ['secret.txt']);
  });

  it('cannot hard-link a host file it can only read into its workspace', async () => {
    // protected_hardlinks, and `/usr` being another mount than `/workspace` (EXDEV).
    const result = await sh(world.runtime, attacker, 'ln /usr/bin/env /workspace/env; echo $?');
    assert.notEqual(result.stdout.trim().split('\n').pop(), '0');
    assert.ok(!existsSync(join(new SandboxDirs(world.root, attacker).workspace, 'env')));
  });

  it('keeps a link in a snapshot a link: restoring it copies nothing of where it pointed', async () => {
    await sh(world.runtime, attacker, `ln -sfn '${victimSecret}' /workspace/snap-link`);
    const snapshot = { namespace: attacker.namespace, name: 'links', uid: 'snap-links' };
    await world.runtime.snapshots.capture(attacker, snapshot);
    const copy = world.ref('restored');
    await world.runtime.provision({ ...copy, spec: {}, fromSnapshot: snapshot });
    const inside = await sh(world.runtime, copy, 'readlink /workspace/snap-link; cat snap-link');
    assert.equal(inside.stdout, `${victimSecret}\n`);
    assert.doesNotMatch(inside.stdout + inside.stderr, /victim-secret/);
    await assert.rejects(world.runtime.files.read(copy, '/workspace/snap-link'));
    await world.runtime.snapshots.remove(snapshot);
  });

  it('cannot smuggle a host file into a snapshot by swapping a directory for a link during the copy', async () => {
    // A world-readable host directory the sandbox's view does not have; the copy runs on the
    // host as the sandbox's uid, so it could read it if it followed a link swapped in meanwhile.
    const outside = mkdtempSync('/tmp/paddock-escape-swap-');
    try {
      chmodSync(outside, 0o755);
      writeFileSync(join(outside, 'host-file'), 'host-only');
      chmodSync(join(outside, 'host-file'), 0o644);
      // Under rlimits no cgroup holds the sandbox: the processes of its pid namespace are stopped.
      const runtime = world.reopen({ limits: 'rlimit' });
      const ref = world.ref('swapper');
      await runtime.provision({ ...ref, spec: {} });
      await sh(runtime, ref, 'mkdir -p /workspace/w/d && echo own > /workspace/w/d/own');
      const swapper = await runtime.exec(ref, {
        command: [
          'perl',
          '-e',
          `chdir "/workspace/w"; while (1) { rename "d", "r"; symlink "${outside}", "d"; unlink "d"; rename "r", "d" }`,
        ],
        background: true,
      });
      try {
        // Swapping in the sandbox (an exec still entering it is no process of it yet).
        let running = '';
        for (let i = 0; i < 100 && running === ''; i++)
          running = (await sh(runtime, ref, 'pgrep -x perl || true')).stdout;
        assert.notEqual(running, '');
        for (let i = 0; i < 8; i++) {
          const snapshot = { namespace: ref.namespace, name: `swap-${i}`, uid: `swap-${i}` };
          const capture = await runtime.snapshots.capture(ref, snapshot);
          assert.equal(capture.consistency, 'frozen');
          const copied = join(world.root, '.snapshots', ref.namespace, snapshot.name, 'workspace');
          // The swapper may be held with `d` a link: copied as a link, it is no directory of
          // the copy; a directory holding the host's file is what the copy must never have.
          for (const dir of ['d', 'r']) {
            const path = join(copied, 'w', dir);
            if (!lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) continue;
            assert.deepEqual(readdirSync(path), ['own'], `copy ${i} of ${dir}`);
          }
          await runtime.snapshots.remove(snapshot);
        }
      } finally {
        await swapper.signal('SIGKILL');
        await swapper.exit;
        await runtime.destroy(ref);
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('stops and destroys processes that double-fork into a new session', async () => {
    const ref = await world.provision({}, 'runaway');
    const state = readState(new SandboxDirs(world.root, ref));
    assert.ok(state !== undefined);
    const runaways =
      'setsid sh -c "sleep 997 & sleep 996 &" </dev/null >/dev/null 2>&1; sleep 0.2; pgrep -c -x sleep';
    // The two runaways and the sandbox's anchor (`sleep infinity`).
    assert.equal((await sh(world.runtime, ref, runaways)).stdout, '3\n');
    assert.ok(processesOfUid(state.hostUid).length >= 3);
    await world.runtime.stop(ref);
    assert.deepEqual(processesOfUid(state.hostUid), []);
    await world.runtime.start(ref);
    assert.equal((await sh(world.runtime, ref, runaways)).stdout, '3\n');
    await world.runtime.destroy(ref);
    assert.deepEqual(processesOfUid(state.hostUid), []);
  });
});

const gvisorSkip =
  skipReason ??
  (findExecutable('runsc') === undefined ? 'runsc (gVisor) is not installed' : undefined);

describe('escape attempts through the files API of a gVisor sandbox', {
  skip: gvisorSkip,
  timeout: 120_000,
}, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('refuses a planted fifo and resolves planted links in its own view', async () => {
    const ref = await world.provision({ isolation: 'gvisor' });
    const database = join(world.dataDir, 'paddock.db');
    writeFileSync(database, 'paddock-secret-db');
    const { files } = world.runtime;
    await sh(world.runtime, ref, `mkfifo /workspace/fifo && ln -s '${database}' /tmp/db-link`);
    for (const call of [
      () => files.read(ref, '/workspace/fifo'),
      () => files.write(ref, '/workspace/fifo', encode('x')),
    ]) {
      await assert.rejects(call(), (e) => isPaddockError(e, 'validation_failed'));
    }
    const read = await files.read(ref, '/tmp/db-link').then(decode, (e: unknown) => e);
    assert.ok(read instanceof Error, `read answered ${JSON.stringify(read)}`);
    await files.write(ref, '/tmp/db-link', encode('overwritten')).catch(() => {});
    assert.equal(readFileSync(database, 'utf8'), 'paddock-secret-db');
  });
});
