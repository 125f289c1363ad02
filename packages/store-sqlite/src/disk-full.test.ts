import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { diskFullError, isPaddockError, type StorageReserve } from '@paddock/core';
import { clusterTemplate, mountSmallDisk } from '@paddock/testkit';
import { Connection } from './connection.ts';
import { toPaddockError } from './errors.ts';
import { DiskReserve, openDiskReserve, openSqliteStore, reservePathFor } from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-full-'));
  dirs.push(dir);
  return join(dir, 'paddock.db');
}

/**
 * A connection whose database may not grow past its current size: `max_page_count` makes SQLite
 * answer SQLITE_FULL exactly as on a full disk, without one.
 */
function cappedConnection(path: string): Connection {
  const connection = new Connection(path, 1_000);
  const context = { operation: 'set up' };
  connection.run(context, () => connection.statement('CREATE TABLE filler (b BLOB)').run());
  connection.run(context, () => {
    const { page_count: pages } = connection.statement('PRAGMA page_count').get() as {
      page_count: number;
    };
    connection.statement(`PRAGMA max_page_count = ${pages + 1}`).get();
  });
  return connection;
}

function insertBlob(connection: Connection): void {
  connection.writeWithoutSync({ operation: 'insert', object: 'filler' }, () =>
    connection.statement('INSERT INTO filler (b) VALUES (?)').run(new Uint8Array(256 * 1024)),
  );
}

describe('a full disk in the SQLite store', () => {
  it('turns SQLITE_FULL into insufficient_storage, naming what failed', () => {
    const connection = cappedConnection(tempPath());
    try {
      assert.throws(
        () => insertBlob(connection),
        (error) =>
          isPaddockError(error, 'insufficient_storage') &&
          /^insert filler: the data disk is full/.test(error.message) &&
          (error.cause as { errcode?: number }).errcode === 13,
      );
    } finally {
      connection.close();
    }
  });

  it('releases the reserve file beside the database before it gives up', () => {
    const path = tempPath();
    const connection = cappedConnection(path);
    writeFileSync(reservePathFor(path), new Uint8Array(1024));
    try {
      // The page cap is no disk: the second try fails too, but only after the reserve went.
      assert.throws(() => insertBlob(connection), /the data disk is full/);
      assert.equal(existsSync(reservePathFor(path)), false);
      connection.run({ operation: 'lift the cap' }, () =>
        connection.statement('PRAGMA max_page_count = 1000000').get(),
      );
      insertBlob(connection);
    } finally {
      connection.close();
    }
  });

  it('refuses creates with the reserve’s error but lets updates and deletes through', async () => {
    let isFull = false;
    const reserve: StorageReserve = {
      checkRoom: (what) => {
        if (isFull) throw diskFullError(what);
      },
      makeRoom: () => {},
    };
    const store = await openSqliteStore({ path: tempPath(), storageReserve: reserve });
    try {
      const created = await store.create(clusterTemplate('base'));
      isFull = true;
      await assert.rejects(store.create(clusterTemplate('more')), (error) => {
        return (
          isPaddockError(error, 'insufficient_storage') &&
          error.message.startsWith('create ClusterSandboxTemplate more:')
        );
      });
      const labelled = { ...created, metadata: { ...created.metadata, labels: { a: 'b' } } };
      await store.update(labelled);
      await store.delete('ClusterSandboxTemplate', { name: 'base' });
      assert.deepEqual((await store.list('ClusterSandboxTemplate')).items, []);
    } finally {
      await store.close();
    }
  });
});

describe('an I/O error from SQLite', () => {
  // SQLITE_IOERR_WRITE: what an ENOSPC on a sync or a memory map comes back as, not SQLITE_FULL.
  const ioError = Object.assign(new Error('disk I/O error'), { errcode: 10 | (3 << 8) });
  const MIB = 1024 * 1024;

  it('is insufficient_storage while the disk has next to nothing free', () => {
    const error = toPaddockError(ioError, { operation: 'commit', freeBytes: () => 4096 });
    assert.ok(isPaddockError(error, 'insufficient_storage'), error.message);
    assert.match(error.message, /^commit: the data disk is full/);
    assert.equal(error.cause, ioError);
  });

  it('stays internal when the disk has room, or its free space cannot be read', () => {
    const cases = [
      { operation: 'commit', freeBytes: () => 64 * MIB },
      {
        operation: 'commit',
        freeBytes: () => {
          throw new Error('statfs failed');
        },
      },
      { operation: 'commit' },
    ];
    for (const context of cases) {
      const error = toPaddockError(ioError, context);
      assert.ok(isPaddockError(error, 'internal'), error.message);
      assert.equal(error.cause, ioError);
    }
  });
});

/** Writes `path` until the disk is full. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = new Uint8Array(64 * 1024).fill(1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

describe('the SQLite store on a disk that fills up', () => {
  it('commits a write on the full disk by releasing the reserve, then refuses creates', async (t) => {
    const disk = mountSmallDisk(8);
    if ('skip' in disk) return t.skip(disk.skip);
    const path = join(disk.dir, 'paddock.db');
    try {
      const reserve = openDiskReserve({ databasePath: path, sizeBytes: 1024 * 1024 });
      const store = await openSqliteStore({ path, storageReserve: reserve });
      try {
        const created = await store.create(clusterTemplate('before'));
        fillDisk(join(disk.dir, 'filler'));
        assert.equal(reserve.isHeld, true);
        // 200 kB more than SQLite has room for: only the reserve's space lets it commit.
        const big = { ...created.metadata.annotations, note: 'x'.repeat(200_000) };
        await store.update({ ...created, metadata: { ...created.metadata, annotations: big } });
        assert.equal(reserve.isHeld, false, 'the write drew on the reserve');
        await assert.rejects(store.create(clusterTemplate('after')), (error) =>
          isPaddockError(error, 'insufficient_storage'),
        );
        rmSync(join(disk.dir, 'filler'));
        await store.create(clusterTemplate('after'));
        assert.equal(reserve.isHeld, true, 'set aside again once space was back');
      } finally {
        await store.close();
      }
    } finally {
      disk.unmount();
    }
  });
});

describe('DiskReserve', () => {
  it('makeRoom hands the reserve back only once the disk is full', (t) => {
    const disk = mountSmallDisk(8);
    if ('skip' in disk) return t.skip(disk.skip);
    try {
      const reserve = openDiskReserve({
        databasePath: join(disk.dir, 'paddock.db'),
        sizeBytes: 1024 * 1024,
      });
      assert.equal(reserve.isHeld, true);
      fillDisk(join(disk.dir, 'filler'));
      assert.equal(reserve.isHeld, true, 'filling the disk left the reserve alone');
      reserve.makeRoom();
      assert.equal(reserve.isHeld, false);
      assert.ok(reserve.freeBytes() >= 1024 * 1024, `${reserve.freeBytes()} bytes free`);
    } finally {
      disk.unmount();
    }
  });

  it('sets the reserve aside, keeps it while there is room, and releases it on request', () => {
    const path = tempPath();
    const reserve = new DiskReserve({ databasePath: path, sizeBytes: 1024 * 1024 });
    assert.equal(reserve.isHeld, false);
    assert.equal(reserve.restore(), true);
    assert.equal(statSync(reserve.path).size, 1024 * 1024);
    reserve.checkRoom('create Sandbox default/box');
    reserve.makeRoom();
    assert.equal(reserve.isHeld, true, 'a disk with room keeps its reserve');
  });

  it('refuses new data while the disk has less free space than the reserve', () => {
    const path = tempPath();
    const probe = new DiskReserve({ databasePath: path });
    // A reserve larger than the disk's free space: it cannot be set aside, and nothing new fits.
    const sizeBytes = 2 ** Math.ceil(Math.log2(probe.freeBytes() + 1)) * 2;
    const reserve = new DiskReserve({ databasePath: path, sizeBytes });
    assert.equal(reserve.restore(), false);
    assert.equal(existsSync(reserve.path), false);
    assert.throws(
      () => reserve.checkRoom('create Sandbox default/box'),
      (error) =>
        isPaddockError(error, 'insufficient_storage') &&
        /^create Sandbox default\/box: the data disk is full/.test(error.message) &&
        error.details.reserveBytes === sizeBytes,
    );
  });
});
