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
import { databaseOf, hasOneSource, SOURCE_SHAPE } from './database.ts';
import type { FailureContext } from './errors.ts';
import { LogHandle } from './log-handle.ts';

/** Options of `openPostgresApiKeyStore`, validated once (`validation_failed` listing every problem). */
export const PostgresApiKeyStoreOptions = z
  .strictObject({
    ...SOURCE_SHAPE,
    /** The clock for `revoke` without a time (tests inject one). */
    now: z
      .custom<() => Date>(
        (value) => typeof value === 'function',
        'must be a function returning a Date',
      )
      .default(() => () => new Date()),
  })
  .refine(...hasOneSource);
export type PostgresApiKeyStoreOptions = z.input<typeof PostgresApiKeyStoreOptions>;

const SELECT = 'SELECT id, json, last_used_at FROM api_keys';

/**
 * API keys in PostgreSQL (see `ApiKeyStore` in @paddock/core for the contract), shared by every
 * replica, so a key created on one authenticates on all: the SHA-256 `hash` (unique, the lookup
 * key), never the key itself. Each write is one statement or one transaction, durable when it
 * resolves; a revoke locks its row, so concurrent revokes keep the first time. Rows are validated
 * when read back (a corrupt one is `internal`).
 */
export class PostgresApiKeyStore implements ApiKeyStore {
  readonly #handle: LogHandle;
  readonly #now: () => Date;

  constructor(handle: LogHandle, now: () => Date) {
    this.#handle = handle;
    this.#now = now;
  }

  async create(record: ApiKeyRecord): Promise<ApiKeyRecord> {
    const input = parseInput(ApiKeyRecord, record, 'API key record');
    this.#handle.assertOpen('create API key');
    await this.#handle.database.query(
      { operation: 'create API key', object: input.id },
      `INSERT INTO api_keys (id, hash, owner_id, created_at, json, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        input.id,
        input.hash,
        input.ownerId,
        input.createdAt,
        apiKeyRowJson(input),
        input.lastUsedAt ?? null,
      ],
    );
    return input;
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.#findOne({ operation: 'find API key' }, `${SELECT} WHERE hash = $1`, hash);
  }

  async findById(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#findOne({ operation: 'find API key', object: id }, `${SELECT} WHERE id = $1`, id);
  }

  async list(ownerId?: string): Promise<ApiKeyRecord[]> {
    this.#handle.assertOpen('list API keys');
    const rows = await this.#handle.database.query(
      { operation: 'list API keys' },
      ownerId === undefined
        ? `${SELECT} ORDER BY created_at, id`
        : `${SELECT} WHERE owner_id = $1 ORDER BY created_at, id`,
      ownerId === undefined ? [] : [ownerId],
    );
    return rows.map(decodeApiKeyRow);
  }

  async revoke(id: string, when: Date = this.#now()): Promise<ApiKeyRecord> {
    const context = { operation: 'revoke API key', object: id };
    this.#handle.assertOpen(context.operation);
    return this.#handle.database.transaction(context, async (tx) => {
      // FOR UPDATE: a concurrent revoke waits here, then reads this one's revokedAt and keeps it.
      const [row] = await tx.query(`${SELECT} WHERE id = $1 FOR UPDATE`, [id]);
      if (row === undefined) {
        throw new PaddockError(ErrorCode.NotFound, `API key ${id} not found`, { id });
      }
      const record = decodeApiKeyRow(row);
      if (record.revokedAt !== undefined) return record;
      const revoked = { ...record, revokedAt: when.toISOString() };
      await tx.query('UPDATE api_keys SET json = $1 WHERE id = $2', [apiKeyRowJson(revoked), id]);
      return revoked;
    });
  }

  async touch(id: string, when: Date): Promise<void> {
    this.#handle.assertOpen('record API key use');
    await this.#handle.database.query(
      { operation: 'record API key use', object: id },
      'UPDATE api_keys SET last_used_at = $1 WHERE id = $2',
      [when.toISOString(), id],
    );
  }

  /** Closes the database when the store opened it. */
  async close(): Promise<void> {
    await this.#handle.close();
  }

  async #findOne(
    context: FailureContext,
    sql: string,
    key: string,
  ): Promise<ApiKeyRecord | undefined> {
    this.#handle.assertOpen(context.operation);
    const [row] = await this.#handle.database.query(context, sql, [key]);
    return row === undefined ? undefined : decodeApiKeyRow(row);
  }
}

/**
 * Opens the API keys in PostgreSQL: on its own database from `url` (created and migrated when
 * needed, closed with the store) or on a shared `database`. Throws `validation_failed` for bad
 * options, `runtime_unavailable` when the server cannot be reached, `internal` for a refused
 * login, a missing database or a newer schema.
 */
export async function openPostgresApiKeyStore(
  options: PostgresApiKeyStoreOptions,
): Promise<PostgresApiKeyStore> {
  const resolved = parseInput(
    PostgresApiKeyStoreOptions,
    options,
    'PostgreSQL API key store options',
  );
  const { database, isOwned } = await databaseOf(resolved);
  return new PostgresApiKeyStore(new LogHandle(database, isOwned), resolved.now);
}
