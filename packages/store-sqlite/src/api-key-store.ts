import {
  ApiKeyRecord,
  type ApiKeyStore,
  apiKeyRowJson,
  decodeApiKeyRow,
  ErrorCode,
  PaddockError,
  parseInput,
} from '@paddock/core';
import { z } from 'zod';
import { Connection } from './connection.ts';

/** Options of `openSqliteApiKeyStore`, validated once (`validation_failed` listing every problem). */
export const SqliteApiKeyStoreOptions = z.strictObject({
  /** The database file, usually the store's own (`paddock.db`); created and migrated if needed. */
  path: z.string().min(1),
  /** How long a write waits for another writer's lock before failing with `timeout`. */
  busyTimeoutMs: z.int().min(0).default(5_000),
  /** The clock for `revoke` without a time (tests inject one). */
  now: z
    .custom<() => Date>(
      (value) => typeof value === 'function',
      'must be a function returning a Date',
    )
    .default(() => () => new Date()),
});
export type SqliteApiKeyStoreOptions = z.input<typeof SqliteApiKeyStoreOptions>;

const SELECT = 'SELECT id, json, last_used_at FROM api_keys';

/**
 * API keys in SQLite (see `ApiKeyStore` in @paddock/core for the contract), in the `api_keys`
 * table of the store's file: the SHA-256 `hash` (unique, the lookup key), never the key itself.
 * Every write is one durable IMMEDIATE transaction; rows are validated when read back.
 */
export class SqliteApiKeyStore implements ApiKeyStore {
  readonly path: string;
  readonly #connection: Connection;
  readonly #now: () => Date;

  constructor(options: SqliteApiKeyStoreOptions) {
    const resolved = parseInput(SqliteApiKeyStoreOptions, options, 'SQLite API key store options');
    this.path = resolved.path;
    this.#now = resolved.now;
    this.#connection = new Connection(resolved.path, resolved.busyTimeoutMs);
  }

  async create(record: ApiKeyRecord): Promise<ApiKeyRecord> {
    const input = parseInput(ApiKeyRecord, record, 'API key record');
    await this.#connection.write({ operation: 'create API key', object: input.id }, () => {
      this.#connection
        .statement(
          `INSERT INTO api_keys (id, hash, owner_id, created_at, json, last_used_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.id,
          input.hash,
          input.ownerId,
          input.createdAt,
          apiKeyRowJson(input),
          input.lastUsedAt ?? null,
        );
    });
    return input;
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#connection.run({ operation: 'find API key' }, () =>
      this.#connection.statement(`${SELECT} WHERE hash = ?`).get(hash),
    );
    return row === undefined ? undefined : decodeApiKeyRow(row);
  }

  async findById(id: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#connection.run({ operation: 'find API key', object: id }, () =>
      this.#connection.statement(`${SELECT} WHERE id = ?`).get(id),
    );
    return row === undefined ? undefined : decodeApiKeyRow(row);
  }

  async list(ownerId?: string): Promise<ApiKeyRecord[]> {
    const rows = this.#connection.run({ operation: 'list API keys' }, () =>
      ownerId === undefined
        ? this.#connection.statement(`${SELECT} ORDER BY created_at, id`).all()
        : this.#connection
            .statement(`${SELECT} WHERE owner_id = ? ORDER BY created_at, id`)
            .all(ownerId),
    );
    return rows.map(decodeApiKeyRow);
  }

  async revoke(id: string, when: Date = this.#now()): Promise<ApiKeyRecord> {
    return this.#connection.write({ operation: 'revoke API key', object: id }, () => {
      const row = this.#connection.statement(`${SELECT} WHERE id = ?`).get(id);
      if (row === undefined) {
        throw new PaddockError(ErrorCode.NotFound, `API key ${id} not found`, { id });
      }
      const record = decodeApiKeyRow(row);
      if (record.revokedAt !== undefined) return record;
      const revoked = { ...record, revokedAt: when.toISOString() };
      this.#connection
        .statement('UPDATE api_keys SET json = ? WHERE id = ?')
        .run(apiKeyRowJson(revoked), id);
      return revoked;
    });
  }

  async touch(id: string, when: Date): Promise<void> {
    // A last-used time lost to power loss is harmless: no sync awaited.
    this.#connection.writeWithoutSync({ operation: 'record API key use', object: id }, () => {
      this.#connection
        .statement('UPDATE api_keys SET last_used_at = ? WHERE id = ?')
        .run(when.toISOString(), id);
    });
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }
}

/**
 * Opens the API key table in the SQLite file at `options.path` (creating and migrating it when
 * needed; usually the same file as `openSqliteStore`). Throws `validation_failed` for bad
 * options, `internal` for an unusable file.
 */
export async function openSqliteApiKeyStore(
  options: SqliteApiKeyStoreOptions,
): Promise<SqliteApiKeyStore> {
  return new SqliteApiKeyStore(options);
}
