/**
 * Escape attempts on read-only files (credentials' files, `ProvisionRequest.readOnlyFiles`): the
 * sandbox reads them but cannot change their mode, write, replace or remove them.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPaddockError, type SandboxRef } from '@paddock/core';
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
