/**
 * Escape attempts on read-only files (credentials' files, `ProvisionRequest.readOnlyFiles`): the
 * sandbox reads them but cannot change their mode, write, replace or remove them.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
import { findExecutable } from './host-binaries.ts';
import { SandboxDirs } from './sandbox-state.ts';
import { createTestWorld, sh, skipReason, type TestWorld } from './test-sandboxes.ts';

const MOUNT = '/home/user/.config/agent';
const text = (s: string) => new TextEncoder().encode(s);

describe('escape attempts on read-only credential files', { skip: skipReason }, () => {
  let world: TestWorld;
  let ref: SandboxRef;
  before(async () => {
    world = createTestWorld();
    ref = world.ref('holder');
    await world.runtime.provision({
      ...ref,
      spec: {},
      readOnlyFiles: [
        {
          mountPath: MOUNT,
          files: [
            { path: 'token', content: text('secret-token') },
            { path: 'bin/login', content: text('#!/bin/sh\necho logged-in\n'), mode: 0o755 },
          ],
        },
      ],
    });
  });
  after(async () => {
    await world?.cleanup();
  });

  it('reads them but cannot chmod, write, replace or remove them', async () => {
    const attempts = [
      `chmod 666 ${MOUNT}/token`,
      `echo stolen > ${MOUNT}/token`,
      `rm -f ${MOUNT}/token`,
      `mv ${MOUNT}/token ${MOUNT}/moved`,
      `touch ${MOUNT}/new`,
      `chmod 777 ${MOUNT}`,
      `mount -o remount,rw ${MOUNT}`,
      `umount ${MOUNT}`,
    ];
    const script = [
      `cat ${MOUNT}/token; echo`,
      `${MOUNT}/bin/login`,
      ...attempts.map((a) => `${a} 2>/dev/null && echo "did: ${a}"`),
      `cat ${MOUNT}/token; echo`,
      `stat -c %a ${MOUNT}/token`,
    ].join('; ');
    const result = await sh(world.runtime, ref, script);
    assert.equal(result.stdout, 'secret-token\nlogged-in\nsecret-token\n440\n');
    const errors = await sh(
      world.runtime,
      ref,
      `chmod 666 ${MOUNT}/token; echo x > ${MOUNT}/token; rm -f ${MOUNT}/token`,
    );
    const lines = errors.stderr.trim().split('\n');
    assert.equal(lines.length, 3, errors.stderr);
    for (const line of lines) assert.match(line, /Read-only file system|Operation not permitted/);
  });

  it('keeps them on the host outside the workspace, owned by root, across a restart', async () => {
    const dirs = new SandboxDirs(world.root, ref);
    const host = join(dirs.dir, 'readonly', '0', 'token');
    assert.equal(readFileSync(host, 'utf8'), 'secret-token');
    const stat = statSync(host);
    assert.equal(stat.uid, 0);
    assert.equal(stat.mode & 0o777, 0o440);
    assert.ok(!host.startsWith(dirs.workspace));
    await world.runtime.stop(ref);
    await world.runtime.start(ref);
    assert.equal((await sh(world.runtime, ref, `cat ${MOUNT}/token`)).stdout, 'secret-token');
  });

  it('refuses mount paths that would cover the system or a writable root, and paths with ..', async () => {
    const cases = [
      [{ mountPath: '/workspace', files: [] }, 'readOnlyFiles[0].mountPath'],
      [{ mountPath: 'relative', files: [] }, 'readOnlyFiles[0].mountPath'],
      [
        { mountPath: '/opt/x', files: [{ path: '../escape', content: text('') }] },
        'readOnlyFiles[0].files[0].path',
      ],
    ] as const;
    for (const [entry, field] of cases) {
      await assert.rejects(
        world.runtime.provision({ ...world.ref(), spec: {}, readOnlyFiles: [entry] }),
        (e) => isPaddockError(e, 'validation_failed') && e.message.startsWith(field),
        field,
      );
    }
  });
});

describe('escape attempts on read-only files bound into a running sandbox', {
  skip: skipReason,
}, () => {
  const LATE = '/home/user/.config/late';
  let world: TestWorld;
  let ref: SandboxRef;
  before(async () => {
    world = createTestWorld();
    ref = await world.provision({});
  });
  after(async () => {
    await world?.cleanup();
  });

  const tokenAt = (mountPath: string, value: string) => ({
    mountPath,
    files: [{ path: 'token', content: text(value) }],
  });
  const mountsAt = async (path: string) =>
    (await sh(world.runtime, ref, 'cat /proc/self/mountinfo')).stdout
      .split('\n')
      .filter((line) => line.split(' ')[4] === path).length;

  it('reads them at once but cannot chmod, write, remove, move or unmount them', async () => {
    await world.runtime.bindReadOnlyFiles(ref, tokenAt(LATE, 'late-token'));
    const attempts = [
      `chmod 666 ${LATE}/token`,
      `echo stolen > ${LATE}/token`,
      `rm -f ${LATE}/token`,
      `mv ${LATE}/token ${LATE}/moved`,
      `mv ${LATE} /home/user/.config/moved`,
      `touch ${LATE}/new`,
      `mount -o remount,rw ${LATE}`,
      `umount ${LATE}`,
      `umount -l ${LATE}`,
    ];
    const script = [
      `cat ${LATE}/token; echo`,
      ...attempts.map((a) => `${a} 2>/dev/null && echo "did: ${a}"`),
      `cat ${LATE}/token; echo`,
      `stat -c %a ${LATE}/token`,
    ].join('; ');
    const result = await sh(world.runtime, ref, script);
    assert.equal(result.stdout, 'late-token\nlate-token\n440\n');
    const errors = await sh(world.runtime, ref, `chmod 666 ${LATE}/token; rm -f ${LATE}/token`);
    const lines = errors.stderr.trim().split('\n');
    assert.equal(lines.length, 2, errors.stderr);
    for (const line of lines) assert.match(line, /Read-only file system|Operation not permitted/);
    // The host copy: root-owned, outside the workspace, unchanged.
    const host = join(new SandboxDirs(world.root, ref).dir, 'readonly', '0', 'token');
    assert.equal(readFileSync(host, 'utf8'), 'late-token');
    assert.equal(statSync(host).uid, 0);
    assert.equal(statSync(host).mode & 0o777, 0o440);
  });

  it('replaces them on a second bind of the same path, and keeps them across a restart', async () => {
    await world.runtime.bindReadOnlyFiles(ref, tokenAt(LATE, 'second-token'));
    assert.equal((await sh(world.runtime, ref, `cat ${LATE}/token`)).stdout, 'second-token');
    assert.equal(await mountsAt(LATE), 1, 'the first bind is detached, not stacked under');
    await world.runtime.stop(ref);
    await world.runtime.start(ref);
    assert.equal((await sh(world.runtime, ref, `cat ${LATE}/token`)).stdout, 'second-token');
    const after = await sh(world.runtime, ref, `echo x > ${LATE}/token`);
    assert.match(after.stderr, /Read-only file system/);
    // Replaced again after the restart, where bwrap made the mount.
    await world.runtime.bindReadOnlyFiles(ref, tokenAt(LATE, 'third-token'));
    assert.equal((await sh(world.runtime, ref, `cat ${LATE}/token`)).stdout, 'third-token');
    assert.equal(await mountsAt(LATE), 1);
  });

  it('takes files bound while stopped at its next start', async () => {
    const other = await world.provision({});
    await world.runtime.stop(other);
    await world.runtime.bindReadOnlyFiles(other, tokenAt('/opt/creds', 'stopped-token'));
    await world.runtime.start(other);
    const result = await sh(world.runtime, other, 'cat /opt/creds/token; touch /opt/creds/x');
    assert.equal(result.stdout, 'stopped-token');
    assert.match(result.stderr, /Read-only file system/);
  });

  it('refuses a symlink the sandbox planted on the way, and mounts nothing where it points', async () => {
    await sh(
      world.runtime,
      ref,
      'ln -s /workspace /home/user/via; ln -s /tmp /home/user/at; mkdir -p /workspace/real',
    );
    for (const mountPath of ['/home/user/via/creds', '/home/user/at']) {
      await assert.rejects(
        world.runtime.bindReadOnlyFiles(ref, tokenAt(mountPath, 'redirected')),
        (e) => isPaddockError(e, 'runtime_unavailable') && /symbolic link/.test(e.message),
        mountPath,
      );
    }
    const check = await sh(
      world.runtime,
      ref,
      'ls /workspace; touch /tmp/still-writable && echo TMP-OK; cat /proc/self/mountinfo',
    );
    assert.ok(!check.stdout.includes('redirected'));
    assert.match(check.stdout, /^real\nTMP-OK\n/);
    assert.ok(!/ \/workspace\/creds /.test(check.stdout), 'nothing mounted under /workspace');
    assert.equal(
      check.stdout.split('\n').filter((line) => / \/tmp /.test(line) && / ro,/.test(line)).length,
      0,
      '/tmp is not covered by a read-only mount',
    );
    // A refused bind is not recorded: the next start binds only what was bound.
    await world.runtime.stop(ref);
    await world.runtime.start(ref);
    assert.equal((await sh(world.runtime, ref, 'ls /workspace')).stdout, 'real\n');
  });

  it('refuses bad mount paths naming the field, and one inside another read-only directory', async () => {
    const cases = [
      [tokenAt('/workspace', 'x'), 'files.mountPath'],
      [tokenAt('relative', 'x'), 'files.mountPath'],
      [tokenAt(`${LATE}/inner`, 'x'), 'files.mountPath'],
      [
        { mountPath: '/opt/y', files: [{ path: '../escape', content: text('') }] },
        'files.files[0].path',
      ],
    ] as const;
    for (const [entry, field] of cases) {
      await assert.rejects(
        world.runtime.bindReadOnlyFiles(ref, entry),
        (e) => isPaddockError(e, 'validation_failed') && e.message.startsWith(field),
        field,
      );
    }
  });
});

const gvisorSkip =
  skipReason ??
  (findExecutable('runsc') === undefined ? 'runsc (gVisor) is not installed' : undefined);

describe('read-only files of a gVisor sandbox', { skip: gvisorSkip, timeout: 120_000 }, () => {
  let world: TestWorld;
  before(() => {
    world = createTestWorld();
  });
  after(async () => {
    await world?.cleanup();
  });

  it('refuses a live bind (runsc has none) and takes one bound while stopped at its next start', async () => {
    const ref = await world.provision({ isolation: 'gvisor' });
    const files = { mountPath: '/opt/creds', files: [{ path: 'token', content: text('gv') }] };
    await assert.rejects(
      world.runtime.bindReadOnlyFiles(ref, files),
      (e) => isPaddockError(e, 'runtime_unavailable') && /gVisor/.test(e.message),
    );
    await world.runtime.stop(ref);
    await world.runtime.bindReadOnlyFiles(ref, files);
    await world.runtime.start(ref);
    const attempts =
      'chmod 666 /opt/creds/token; echo x > /opt/creds/token; rm -f /opt/creds/token';
    const script = `cat /opt/creds/token; (${attempts}) 2>/dev/null; cat /opt/creds/token`;
    assert.equal((await sh(world.runtime, ref, script)).stdout, 'gvgv');
  });
});
