import assert from 'node:assert/strict';
import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isPaddockError } from '@paddock/core';
import { mountSmallDisk } from '@paddock/testkit';
import { Checkpointer } from './checkpointer.ts';
import { Connection } from './connection.ts';
import { WAL_SIZE_LIMIT_BYTES } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'paddock-checkpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function tempPath(): string {
  files += 1;
  return join(dir, `${files}.db`);
}

const PAGE_BYTES = 4096;
/** A blob of 16 pages: each insert adds about 17 frames to the WAL. */
const BLOB = new Uint8Array(16 * PAGE_BYTES);
const NEVER = 1_000_000_000;

function connectionWithTable(path: string, checkpointPages?: number): Connection {
  const connection = new Connection(path, 1_000, undefined, checkpointPages);
  connection.run({ operation: 'set up' }, () =>
    connection.statement('CREATE TABLE IF NOT EXISTS blobs (b BLOB)').run(),
  );
  return connection;
}

function insertBlobs(connection: Connection, count: number): void {
  for (let i = 0; i < count; i++) {
    connection.writeWithoutSync({ operation: 'insert', object: 'blob' }, () =>
      connection.statement('INSERT INTO blobs (b) VALUES (?)').run(BLOB),
    );
  }
}

function blobCount(connection: Connection): number {
  return connection.read({ operation: 'count' }, () =>
    Number((connection.statement('SELECT count(*) AS n FROM blobs').get() as { n: number }).n),
  );
}

const sizeOf = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? 0;

function checkpointerOf(connection: Connection): Checkpointer {
  const checkpointer = connection.checkpointer;
  assert.ok(checkpointer, 'a file has a checkpointer');
  return checkpointer;
}

describe('checkpoints', { timeout: 30_000 }, () => {
  it('never run inside a commit: a writing connection has no automatic checkpoint', async () => {
    const path = tempPath();
    const connection = connectionWithTable(path, NEVER);
    try {
      const setting = connection.run({ operation: 'read' }, () =>
        connection.statement('PRAGMA wal_autocheckpoint').get(),
      );
      assert.deepEqual({ ...setting }, { wal_autocheckpoint: 0 });
      const databaseBytes = sizeOf(path);
      // Twice SQLite's default of 1000 pages: without the setting, two checkpoints on this thread.
      insertBlobs(connection, 120);
      assert.equal(sizeOf(path), databaseBytes, 'nothing was copied into the database file');
      assert.ok(checkpointerOf(connection).pendingFrames() >= 120 * 16);
      assert.equal(checkpointerOf(connection).checkpoints, 0);
    } finally {
      await connection.close();
    }
  });

  it('run in the worker once the WAL holds enough frames, and the WAL is reused', async () => {
    const path = tempPath();
    const connection = connectionWithTable(path, 200);
    const checkpointer = checkpointerOf(connection);
    try {
      // 60 rounds of 5 blobs: 5,100 frames in all, a checkpoint due every 200.
      for (let round = 0; round < 60; round++) {
        insertBlobs(connection, 5);
        await checkpointer.idle();
      }
      assert.ok(checkpointer.checkpoints >= 10, `${checkpointer.checkpoints} checkpoints`);
      assert.equal(checkpointer.failures, 0);
      assert.ok(sizeOf(path) >= 250 * BLOB.length, 'the database file holds most blobs');
      assert.ok(
        sizeOf(`${path}-wal`) < 40 * BLOB.length,
        `the WAL (${sizeOf(`${path}-wal`)} bytes) was reset, not grown to hold every write`,
      );
      assert.equal(blobCount(connection), 300);
    } finally {
      await connection.close();
    }
  });

  it('shrink the WAL back to its limit after a burst, at the next write', async () => {
    const path = tempPath();
    const connection = connectionWithTable(path, 200);
    const checkpointer = checkpointerOf(connection);
    try {
      // One burst of about 1.3 times the limit, faster than checkpoints can copy it.
      const burst = Math.ceil((1.3 * WAL_SIZE_LIMIT_BYTES) / (17 * PAGE_BYTES));
      insertBlobs(connection, burst);
      assert.ok(sizeOf(`${path}-wal`) > WAL_SIZE_LIMIT_BYTES, 'the burst grew the WAL past it');
      await checkpointer.idle();
      assert.equal(checkpointer.pendingFrames(), 0, 'the checkpoints copied the whole burst');
      insertBlobs(connection, 1);
      const walBytes = sizeOf(`${path}-wal`);
      assert.ok(walBytes <= WAL_SIZE_LIMIT_BYTES, `the WAL is ${walBytes} bytes after the burst`);
      assert.equal(blobCount(connection), burst + 1);
    } finally {
      await connection.close();
    }
  });

  it('at close with no worker started, a last checkpoint that fails loses nothing', async () => {
    const path = tempPath();
    const connection = connectionWithTable(path, NEVER);
    insertBlobs(connection, 5);
    const checkpointer = new Checkpointer(path, { busyTimeoutMs: 1_000, pages: NEVER });
    assert.ok(checkpointer.pendingFrames() > 0);
    await checkpointer.close(() => {
      throw new Error('disk I/O error');
    });
    assert.equal(checkpointer.failures, 1);
    assert.equal(checkpointer.checkpoints, 0);
    assert.match(checkpointer.lastFailure?.message ?? '', /disk I\/O error/);
    assert.ok(checkpointer.pendingFrames() > 0, 'the frames are still in the WAL');
    await connection.close();
    const reopened = connectionWithTable(path, NEVER);
    try {
      assert.equal(blobCount(reopened), 5);
    } finally {
      await reopened.close();
    }
  });

  it('complete at close: the last connection copies the WAL into the database first', async () => {
    const path = tempPath();
    const connection = connectionWithTable(path, NEVER);
    insertBlobs(connection, 20);
    // A reader of its own keeps SQLite from checkpointing the file as its last connection closes.
    const reader = new DatabaseSync(path, { readOnly: true });
    try {
      assert.ok(sizeOf(`${path}-wal`) > 20 * BLOB.length);
      await connection.close();
      assert.equal(checkpointerOf(connection).checkpoints, 1);
      assert.equal(sizeOf(`${path}-wal`), 0, 'the WAL was truncated');
      assert.ok(sizeOf(path) >= 20 * BLOB.length);
      assert.deepEqual({ ...reader.prepare('SELECT count(*) AS n FROM blobs').get() }, { n: 20 });
    } finally {
      reader.close();
    }
  });

  it('are shared by the connections of a process to one file, and end with the last', async () => {
    const path = tempPath();
    const first = connectionWithTable(path, 200);
    const second = connectionWithTable(path, NEVER);
    const checkpointer = checkpointerOf(first);
    try {
      assert.equal(second.checkpointer, checkpointer);
      await first.close();
      insertBlobs(second, 15);
      await checkpointer.idle();
      assert.ok(checkpointer.checkpoints >= 1, 'still checkpointing for the second connection');
      insertBlobs(second, 5);
    } finally {
      await second.close();
    }
    const third = connectionWithTable(path);
    try {
      assert.notEqual(third.checkpointer, checkpointer, 'a new one after the last closed');
      assert.equal(blobCount(third), 20);
    } finally {
      await third.close();
    }
  });

  it('never wait for a reader: what it holds back is copied once it ends', async () => {
    const path = tempPath();
    const connection = connectionWithTable(path, 100);
    const checkpointer = checkpointerOf(connection);
    const reader = new DatabaseSync(path, { readOnly: true });
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM blobs').get();
      // 60 commits, about 1,000 frames, all after the reader's snapshot: none can be copied.
      for (let round = 0; round < 20; round++) {
        insertBlobs(connection, 3);
        await checkpointer.idle();
      }
      assert.equal(checkpointer.failures, 0);
      assert.ok(checkpointer.pendingFrames() >= 60 * 16, 'nothing copied');
      // Tried again only once `pages` more frames had come, not after every commit.
      assert.ok(checkpointer.checkpoints >= 1);
      assert.ok(checkpointer.checkpoints <= 11, `${checkpointer.checkpoints} checkpoints`);
      reader.exec('COMMIT');
      insertBlobs(connection, 7);
      await checkpointer.idle();
      assert.equal(checkpointer.pendingFrames(), 0);
      assert.equal(blobCount(connection), 67);
    } finally {
      reader.close();
      await connection.close();
    }
  });

  it('lets close wait for a checkpoint in progress, then checkpoint what is left', async () => {
    const path = tempPath();
    const connection = connectionWithTable(path, 100);
    const checkpointer = checkpointerOf(connection);
    const reader = new DatabaseSync(path, { readOnly: true });
    try {
      insertBlobs(connection, 10);
      // The checkpoint was started by the last commit and runs while the file closes.
      await connection.close();
      assert.equal(checkpointer.checkpoints, 2);
      assert.equal(checkpointer.failures, 0);
      assert.equal(sizeOf(`${path}-wal`), 0);
    } finally {
      reader.close();
    }
  });
});

describe('a checkpoint that fails', { timeout: 30_000 }, () => {
  /** A worker at `name` in the temp dir, running `body` for each request. */
  function fakeWorker(name: string, body: string): URL {
    const file = join(dir, `${name}.mjs`);
    writeFileSync(
      file,
      `import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => { ${body} });\n`,
    );
    return pathToFileURL(file);
  }

  for (const [what, body] of [
    ['throws', "throw new Error('broken worker');"],
    ['exits', 'process.exit(3);'],
    ['answers nonsense', 'parentPort.postMessage({ nonsense: true });'],
  ] as const) {
    it(`in a worker that ${what} is counted, loses nothing, and does not hold up close`, async () => {
      const path = tempPath();
      const connection = connectionWithTable(path, NEVER);
      const checkpointer = new Checkpointer(path, {
        busyTimeoutMs: 1_000,
        pages: 10,
        workerUrl: fakeWorker(what.replaceAll(' ', '-'), body),
      });
      try {
        insertBlobs(connection, 2);
        checkpointer.noteCommit();
        await checkpointer.idle();
        assert.equal(checkpointer.failures, 1);
        assert.equal(checkpointer.checkpoints, 0);
        assert.ok(isPaddockError(checkpointer.lastFailure, 'internal'));
        // Retried only once the WAL has grown by another `pages` frames.
        checkpointer.noteCommit();
        await checkpointer.idle();
        assert.equal(checkpointer.failures, 1);
        insertBlobs(connection, 1);
        checkpointer.noteCommit();
        await checkpointer.idle();
        assert.equal(checkpointer.failures, 2);
        await checkpointer.close();
        assert.equal(blobCount(connection), 3);
      } finally {
        await checkpointer.close();
        await connection.close();
      }
    });
  }

  it('on a full disk keeps the frames in the WAL and succeeds once there is room', async (t) => {
    const disk = mountSmallDisk(8);
    if ('skip' in disk) return t.skip(disk.skip);
    try {
      const path = join(disk.dir, 'paddock.db');
      const connection = connectionWithTable(path, NEVER);
      const checkpointer = new Checkpointer(path, { busyTimeoutMs: 1_000, pages: 10 });
      try {
        insertBlobs(connection, 40);
        const filler = join(disk.dir, 'filler');
        fillDisk(filler);
        checkpointer.noteCommit();
        await checkpointer.idle();
        assert.equal(checkpointer.failures, 1);
        assert.ok(
          isPaddockError(checkpointer.lastFailure, 'insufficient_storage'),
          String(checkpointer.lastFailure),
        );
        rmSync(filler);
        insertBlobs(connection, 1);
        checkpointer.noteCommit();
        await checkpointer.idle();
        assert.equal(checkpointer.checkpoints, 1, String(checkpointer.lastFailure));
        assert.equal(checkpointer.pendingFrames(), 0);
        assert.equal(blobCount(connection), 41);
      } finally {
        await checkpointer.close();
        await connection.close();
      }
    } finally {
      disk.unmount();
    }
  });
});

/** Writes `path` until the disk is full. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = new Uint8Array(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}
