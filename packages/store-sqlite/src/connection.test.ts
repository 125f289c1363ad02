import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode, PaddockError } from '@paddock/core';
import { Connection } from './connection.ts';

const dir = mkdtempSync(join(tmpdir(), 'paddock-connection-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function connectionWithTable(name: string): Connection {
  const connection = new Connection(join(dir, `${name}.db`), 1_000);
  connection.run({ operation: 'set up' }, () =>
    connection.statement('CREATE TABLE items (id TEXT PRIMARY KEY)').run(),
  );
  return connection;
}

const insert = (connection: Connection, id: string) => () =>
  connection.statement('INSERT INTO items (id) VALUES (?)').run(id);

const ids = (connection: Connection) =>
  connection.read({ operation: 'read' }, () =>
    (connection.statement('SELECT id FROM items ORDER BY id').all() as Array<{ id: string }>).map(
      (row) => row.id,
    ),
  );

describe('writes issued in one turn', () => {
  it('commit together, once, each resolving with its own result', async () => {
    const connection = connectionWithTable('batch');
    try {
      const before = connection.commits;
      const writes = ['a', 'b', 'c', 'd', 'e'].map((id) =>
        connection.writeSoon({ operation: 'insert', object: id }, () => {
          insert(connection, id)();
          return id.toUpperCase();
        }),
      );
      assert.deepEqual(await Promise.all(writes), ['A', 'B', 'C', 'D', 'E']);
      assert.equal(connection.commits - before, 1, 'one commit for the five');
      assert.deepEqual(ids(connection), ['a', 'b', 'c', 'd', 'e']);
    } finally {
      connection.close();
    }
  });

  it('undo and reject only the one that fails, and keep the rest', async () => {
    const connection = connectionWithTable('partial');
    try {
      const ok = connection.writeSoon(
        { operation: 'insert', object: 'x' },
        insert(connection, 'x'),
      );
      const failing = connection.writeSoon({ operation: 'insert', object: 'y' }, () => {
        insert(connection, 'y')();
        throw new PaddockError(ErrorCode.Conflict, 'y changed meanwhile');
      });
      const duplicate = connection.writeSoon(
        { operation: 'insert', object: 'x again' },
        insert(connection, 'x'),
      );
      const last = connection.writeSoon(
        { operation: 'insert', object: 'z' },
        insert(connection, 'z'),
      );
      await ok;
      await last;
      await assert.rejects(
        failing,
        (error) => error instanceof PaddockError && error.code === 'conflict',
      );
      await assert.rejects(duplicate);
      assert.deepEqual(ids(connection), ['x', 'z'], "y's insert undone with it, nothing else");
    } finally {
      connection.close();
    }
  });

  it('are refused, not lost silently, when the connection closes first', async () => {
    const connection = connectionWithTable('closed');
    const write = connection.writeSoon(
      { operation: 'insert', object: 'q' },
      insert(connection, 'q'),
    );
    connection.close();
    await assert.rejects(write, /closed/);
  });
});
