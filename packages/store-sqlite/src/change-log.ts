import {
  ErrorCode,
  type Kind,
  type LabelSelector,
  matchesLabels,
  PaddockError,
  type ResourceOf,
  type WatchEvent,
  WatchEventType,
} from '@paddock/core';
import type { Connection } from './connection.ts';
import { describeKey, type RowKey } from './object-key.ts';
import {
  type ChangeRow,
  ChangeRow as ChangeRowSchema,
  decodeLabels,
  parseRow,
  StateRow,
} from './row-codec.ts';
import type { ValidatedRows } from './validated-rows.ts';
import type { ChangeBatch } from './watch-stream.ts';

/** Changes read per batch by a watch. */
const BATCH_SIZE = 256;

/** What a watch asks of the log. `namespace` undefined means every namespace, `name` every name. */
export type ChangeFilter<K extends Kind> = {
  kind: K;
  namespace: string | undefined;
  name: string | undefined;
  selector: LabelSelector;
};

/**
 * The global resourceVersion counter and the append-only `changes` table behind watches. Every
 * write takes the next version and appends exactly one change at it; the log keeps the newest
 * `retention` changes, and a watch from a version older than the newest pruned one is `expired`.
 */
export class ChangeLog {
  readonly #connection: Connection;
  readonly #retention: number;
  readonly #validated: ValidatedRows;

  constructor(connection: Connection, retention: number, validated: ValidatedRows) {
    this.#connection = connection;
    this.#retention = retention;
    this.#validated = validated;
  }

  /** The counter and the compaction horizon. */
  state(): StateRow {
    const row = this.#connection
      .statement('SELECT resource_version, compacted_version FROM store_state WHERE id = 1')
      .get();
    return parseRow(StateRow, row, 'store_state');
  }

  /**
   * Inside a write transaction: takes the next version and moves the compaction horizon so that
   * `retention` changes remain once this write has appended its own.
   */
  nextVersion(): number {
    const row = this.#connection
      .statement(
        `UPDATE store_state
         SET resource_version = resource_version + 1,
             compacted_version = MAX(compacted_version, resource_version + 1 - ?)
         WHERE id = 1
         RETURNING resource_version, compacted_version`,
      )
      .get(this.#retention);
    const state = parseRow(StateRow, row, 'store_state');
    this.#prune(state.compacted_version);
    return state.resource_version;
  }

  /**
   * Inside a write transaction: records the change made at `version` (`json`: the object as
   * `encodeObject` wrote it).
   */
  append(
    version: number,
    type: WatchEventType,
    key: RowKey,
    json: string,
    previousLabels: Record<string, string> | undefined,
  ): void {
    this.#connection
      .statement(
        'INSERT INTO changes (rv, kind, namespace, name, type, json, prev_labels) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        version,
        key.kind,
        key.namespace,
        key.name,
        type,
        json,
        previousLabels === undefined ? null : JSON.stringify(previousLabels),
      );
  }

  /** Inside a write transaction: forgets every change but the newest `retain`. */
  compact(retain: number): void {
    this.#connection
      .statement(
        'UPDATE store_state SET compacted_version = MAX(compacted_version, resource_version - ?) WHERE id = 1',
      )
      .run(retain);
    this.#prune(this.state().compacted_version);
  }

  /**
   * The changes after `afterVersion` that a watch with `filter` sees, in version order, read in
   * one snapshot. An object whose labels enter the selector is reported ADDED, one that leaves it
   * DELETED (carrying its new state), as the Kubernetes API server does.
   */
  read<K extends Kind>(filter: ChangeFilter<K>, afterVersion: number): ChangeBatch<ResourceOf<K>> {
    return this.#connection.read({ operation: `watch ${filter.kind}` }, () => {
      const state = this.state();
      if (afterVersion < state.compacted_version) {
        throw new PaddockError(
          ErrorCode.Expired,
          `resourceVersion ${afterVersion} is too old: changes up to ${state.compacted_version} are no longer kept; list again and watch from the list's resourceVersion`,
          {
            resourceVersion: String(afterVersion),
            oldestResourceVersion: String(state.compacted_version),
          },
        );
      }
      const rows = this.#rowsAfter(filter, afterVersion);
      const events = rows.flatMap((row) => this.#toEvents(filter, row));
      const last = rows.at(-1);
      const hasMore = rows.length === BATCH_SIZE;
      const lastVersion =
        hasMore && last !== undefined ? last.rv : Math.max(afterVersion, state.resource_version);
      return { events, lastVersion, hasMore };
    });
  }

  #rowsAfter(filter: ChangeFilter<Kind>, afterVersion: number): ChangeRow[] {
    const where = ['rv > ?', 'kind = ?'];
    const params: Array<string | number> = [afterVersion, filter.kind];
    if (filter.namespace !== undefined) {
      where.push('namespace = ?');
      params.push(filter.namespace);
    }
    if (filter.name !== undefined) {
      where.push('name = ?');
      params.push(filter.name);
    }
    // One object's changes come from its index range (a client waiting for its sandbox steps over
    // no other object's); any other watch reads the log from its version (by kind or namespace,
    // the index would first read every change of them the log keeps).
    const isOneObject = filter.namespace !== undefined && filter.name !== undefined;
    const from = isOneObject ? 'changes INDEXED BY changes_by_object' : 'changes NOT INDEXED';
    const rows = this.#connection
      .statement(
        `SELECT rv, kind, namespace, name, type, json, prev_labels FROM ${from} WHERE ${where.join(' AND ')} ORDER BY rv LIMIT ?`,
      )
      .all(...params, BATCH_SIZE);
    return rows.map((row) => parseRow(ChangeRowSchema, row, 'change row'));
  }

  #toEvents<K extends Kind>(filter: ChangeFilter<K>, row: ChangeRow): WatchEvent<ResourceOf<K>>[] {
    const key = { kind: filter.kind, namespace: row.namespace, name: row.name };
    const object = this.#validated.decode(key, row.rv, row.json);
    const isMatch = matchesLabels(filter.selector, object.metadata.labels);
    if (row.type !== WatchEventType.Modified) return isMatch ? [{ type: row.type, object }] : [];
    const wasMatch = matchesLabels(
      filter.selector,
      decodeLabels(row.prev_labels, `change ${row.rv} of ${describeKey(key)}`),
    );
    if (isMatch && wasMatch) return [{ type: WatchEventType.Modified, object }];
    if (isMatch) return [{ type: WatchEventType.Added, object }];
    if (wasMatch) return [{ type: WatchEventType.Deleted, object }];
    return [];
  }

  #prune(horizon: number): void {
    this.#connection.statement('DELETE FROM changes WHERE rv <= ?').run(horizon);
  }
}
