import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { diskFullFromStderr, guardDiskFull, translateDiskFull } from './disk-full.ts';

/** The error of a real write to /dev/full, which always fails with ENOSPC. */
function noSpaceError(): unknown {
  try {
    writeFileSync('/dev/full', 'x');
  } catch (error) {
    return error;
  }
  throw new Error('writing /dev/full succeeded');
}

describe('disk-full translation of the local runtime', () => {
  it('turns ENOSPC on the host into insufficient_storage, naming the operation', () => {
    const error = translateDiskFull(noSpaceError(), 'stop sandbox default/box');
    assert.ok(isPaddockError(error, 'insufficient_storage'), String(error));
    assert.match(error.message, /^stop sandbox default\/box: the data disk is full/);
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOSPC');
  });

  it('leaves other failures as they are', () => {
    let missing: unknown;
    try {
      readFileSync('/nonexistent/state.json');
    } catch (error) {
      missing = error;
    }
    assert.equal(translateDiskFull(missing, 'stop sandbox default/box'), missing);
  });

  it('recognises what tools inside a sandbox print on a full disk', () => {
    const head = spawnSync('sh', ['-c', 'head -c 10 /dev/zero > /dev/full'], { encoding: 'utf8' });
    assert.notEqual(head.status, 0);
    const error = diskFullFromStderr(head.stderr, 'upload /workspace');
    assert.ok(isPaddockError(error, 'insufficient_storage'), head.stderr);
    assert.equal(diskFullFromStderr('tar: a.txt: Cannot open: Permission denied', 'x'), undefined);
  });

  it('makes room before an operation that must work on a full disk, and translates its failure', async () => {
    const calls: string[] = [];
    const reserve = {
      checkRoom: () => calls.push('checkRoom'),
      makeRoom: () => calls.push('makeRoom'),
    };
    await assert.rejects(
      guardDiskFull(
        'exec in sandbox default/box',
        async () => {
          calls.push('run');
          throw noSpaceError();
        },
        reserve,
      ),
      (error) => isPaddockError(error, 'insufficient_storage'),
    );
    assert.deepEqual(calls, ['makeRoom', 'run']);
  });
});
