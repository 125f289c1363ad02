import type { Kind, ResourceOf } from '@paddock/core';
import type { Connection } from './connection.ts';
import type { RowKey } from './object-key.ts';
import { ObjectRow, parseRow } from './row-codec.ts';
import type { ValidatedRows } from './validated-rows.ts';

/** Position after which a page starts: the last (namespace, name) already returned. */
export type PageCursor = { namespace: string; name: string };

/** One scanned row, decoded: `key` also serves as the cursor of the next scan. */
export type ScannedObject<K extends Kind> = { key: RowKey & { kind: K }; object: ResourceOf<K> };

const COLUMNS = 'kind, namespace, name, resource_version, json';

/**
 * SQL access to the `objects` table. Every row read back is validated (see `decodeObject`), once
 * per text (`ValidatedRows`).
 */
export class ObjectTable {
  readonly #connection: Connection;
  readonly #validated: ValidatedRows;

  constructor(connection: Connection, validated: ValidatedRows) {
    this.#connection = connection;
    this.#validated = validated;
  }

  /** The stored object at `key`, or undefined. */
  find<K extends Kind>(key: RowKey & { kind: K }): ResourceOf<K> | undefined {
    const row = this.#connection
      .statement(`SELECT ${COLUMNS} FROM objects WHERE kind = ? AND namespace = ? AND name = ?`)
      .get(key.kind, key.namespace, key.name);
    if (row === undefined) return undefined;
    const { resource_version: version, json } = parseRow(ObjectRow, row, `${key.kind} row`);
    return this.#validated.decode(key, version, json);
  }

  /** Whether a row exists at `key`. */
  has(key: RowKey): boolean {
    return (
      this.#connection
        .statement('SELECT 1 FROM objects WHERE kind = ? AND namespace = ? AND name = ?')
        .get(key.kind, key.namespace, key.name) !== undefined
    );
  }

  /** `json`: the object as `encodeObject` wrote it. */
  insert(key: RowKey, version: number, uid: string, json: string): void {
    this.#connection
      .statement(
        'INSERT INTO objects (kind, namespace, name, uid, resource_version, json) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(key.kind, key.namespace, key.name, uid, version, json);
  }

  /** `json`: the object as `encodeObject` wrote it. */
  replace(key: RowKey, version: number, json: string): void {
    this.#connection
      .statement(
        'UPDATE objects SET resource_version = ?, json = ? WHERE kind = ? AND namespace = ? AND name = ?',
      )
      .run(version, json, key.kind, key.namespace, key.name);
  }

  remove(key: RowKey): void {
    this.#connection
      .statement('DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?')
      .run(key.kind, key.namespace, key.name);
  }

  /**
   * Up to `limit` objects of `kind` (all when undefined) in `namespace` (all when undefined),
   * ordered by namespace then name, strictly after `after`.
   */
  scan<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    after: PageCursor | undefined,
    limit: number | undefined,
  ): ScannedObject<K>[] {
    const where = ['kind = ?'];
    const params: Array<string | number> = [kind];
    if (namespace !== undefined) {
      where.push('namespace = ?');
      params.push(namespace);
    }
    if (after !== undefined) {
      where.push('(namespace, name) > (?, ?)');
      params.push(after.namespace, after.name);
    }
    let sql = `SELECT ${COLUMNS} FROM objects WHERE ${where.join(' AND ')} ORDER BY namespace, name`;
    if (limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(limit);
    }
    return this.#connection
      .statement(sql)
      .all(...params)
      .map((raw) => {
        const row = parseRow(ObjectRow, raw, `${kind} row`);
        const key = { kind, namespace: row.namespace, name: row.name };
        return { key, object: this.#validated.decode(key, row.resource_version, row.json) };
      });
  }
}
