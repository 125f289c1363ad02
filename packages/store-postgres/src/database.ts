import { randomUUID } from 'node:crypto';
import { ErrorCode, PaddockError, parseInput } from '@paddock/core';
import pg from 'pg';
import { z } from 'zod';
import { ChangeListener, ChangeOp, Channel, encodeChange } from './change-listener.ts';
import { type FailureContext, isConnectionLost, isRetryable, toPaddockError } from './errors.ts';
import { migrate } from './schema.ts';

/** Options of `openPostgresDatabase`, validated once (`validation_failed` listing every problem). */
export const PostgresDatabaseOptions = z.strictObject({
  /** `postgres://user:password@host:port/database?sslmode=…` (libpq's URL form). */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL'),
  /** Connections kept for queries and writes (plus one that LISTENs). */
  poolSize: z.int().min(1).max(1_000).default(10),
  /** How long opening a connection may take before the operation is `runtime_unavailable`. */
  connectTimeoutMs: z.int().min(1).max(600_000).default(10_000),
  /** Server-side limit of one statement (`statement_timeout`); past it, `timeout`. */
  statementTimeoutMs: z.int().min(1).max(3_600_000).default(30_000),
});
export type PostgresDatabaseOptions = z.input<typeof PostgresDatabaseOptions>;

/** bigint (int8) and numeric come back as JS numbers: seqs, milliseconds and sums fit. */
const NUMERIC_TYPES = new Set([20, 1700]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    NUMERIC_TYPES.has(oid) && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const HeadRow = z.object({ name: z.string(), last_seq: z.number().int().nonnegative() });
const HEAD_CHANNELS: Record<string, Channel> = {
  events: Channel.Events,
  audit_log: Channel.Audit,
};

/** How many times a transaction that lost a serialization race or a deadlock runs again. */
const MAX_ATTEMPTS = 5;

/** One transaction's session: statements, and NOTIFYs delivered when it commits. */
export type Transaction = {
  query(sql: string, params?: unknown[]): Promise<unknown[]>;
  /** Tells every replica's followers of `channel`/`key` that rows up to `seq` commit now. */
  notify(channel: Channel, key: string, seq: number, op?: ChangeOp): Promise<void>;
};

/**
 * A PostgreSQL database shared by the logs of one server (replica): a connection pool, and one
 * more connection that LISTENs for the other replicas' commits. Opened (and migrated) once by
 * `openPostgresDatabase`; each log takes it (or opens its own from a URL).
 */
export class PostgresDatabase {
  readonly #pool: pg.Pool;
  readonly listener: ChangeListener;
  #isOpen = true;

  constructor(options: z.output<typeof PostgresDatabaseOptions>) {
    const config: pg.ClientConfig = {
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      application_name: 'paddock',
      types,
    };
    this.#pool = new pg.Pool({
      ...config,
      max: options.poolSize,
      idleTimeoutMillis: 30_000,
      allowExitOnIdle: true,
    });
    // An idle connection the server closes (a restart) is reported here; the pool drops it.
    this.#pool.on('error', () => {});
    this.listener = new ChangeListener(config, randomUUID());
  }

  get isOpen(): boolean {
    return this.#isOpen;
  }

  /** Migrates the schema and starts listening; `open` calls it once. */
  async start(): Promise<void> {
    await this.transaction({ operation: 'migrate the database' }, async (tx) => {
      await migrate({ query: async (sql, params) => ({ rows: await tx.query(sql, params) }) });
    });
    try {
      await this.listener.start();
    } catch (error) {
      throw toPaddockError(error, { operation: 'listen for changes' });
    }
    // Listening first, then the heads: a commit in between is known either way. A global
    // log's follow "from now" starts at its head without a round trip.
    const heads = await this.query(
      { operation: 'read log heads' },
      'SELECT name, last_seq FROM log_heads',
    );
    for (const row of z.array(HeadRow).parse(heads)) {
      const channel = HEAD_CHANNELS[row.name];
      if (channel !== undefined) this.listener.wake(channel, '', row.last_seq);
    }
  }

  /** Runs one statement outside a transaction; returns its rows. */
  async query(context: FailureContext, sql: string, params: unknown[] = []): Promise<unknown[]> {
    this.#assertOpen(context);
    try {
      const result = await this.#pool.query(sql, params);
      return result.rows;
    } catch (error) {
      throw toPaddockError(error, context);
    }
  }

  /**
   * Runs `body` in one READ COMMITTED transaction on one connection and commits it; a
   * serialization failure or deadlock runs it again (up to 5 times). Failures are translated at
   * this boundary (see `toPaddockError`).
   */
  async transaction<T>(context: FailureContext, body: (tx: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.#assertOpen(context);
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw toPaddockError(error, context);
      }
      let isBroken = false;
      try {
        await client.query('BEGIN');
        const tx: Transaction = {
          query: async (sql, params = []) => (await client.query(sql, params)).rows,
          notify: async (channel, key, seq, op = ChangeOp.Added) => {
            const payload = encodeChange({ instance: this.listener.instance, op, seq, key });
            await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
          },
        };
        const result = await body(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        isBroken = isConnectionLost(error);
        if (!isBroken) await client.query('ROLLBACK').catch(() => {});
        if (isRetryable(error) && attempt < MAX_ATTEMPTS) continue;
        throw toPaddockError(error, context);
      } finally {
        client.release(isBroken);
      }
    }
  }

  /** Ends every follow, then closes the connections. */
  async close(): Promise<void> {
    if (!this.#isOpen) return;
    this.#isOpen = false;
    await this.listener.close();
    await this.#pool.end();
  }

  #assertOpen(context: FailureContext): void {
    if (!this.#isOpen) {
      const what =
        context.object === undefined ? context.operation : `${context.operation} ${context.object}`;
      throw new PaddockError(ErrorCode.Internal, `${what}: the database connection is closed`);
    }
  }
}

/**
 * Opens a PostgreSQL database for the logs: connects, creates or migrates the schema (once,
 * however many replicas open it together) and starts listening for other replicas' commits.
 * Throws `validation_failed` for bad options, `runtime_unavailable` when the server cannot be
 * reached, `internal` for a refused login, a missing database or a newer schema.
 */
export async function openPostgresDatabase(
  options: PostgresDatabaseOptions,
): Promise<PostgresDatabase> {
  const resolved = parseInput(PostgresDatabaseOptions, options, 'PostgreSQL options');
  const database = new PostgresDatabase(resolved);
  try {
    await database.start();
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/**
 * The options every log shares, beside its own: its database, either `url` (and the pool
 * options of `openPostgresDatabase`: the log opens its own, and closes it with itself) or
 * `database` (one opened by `openPostgresDatabase`, shared by several logs; the caller closes it).
 * Check them with `hasOneSource`.
 */
export const SOURCE_SHAPE = {
  url: PostgresDatabaseOptions.shape.url.optional(),
  poolSize: PostgresDatabaseOptions.shape.poolSize,
  connectTimeoutMs: PostgresDatabaseOptions.shape.connectTimeoutMs,
  statementTimeoutMs: PostgresDatabaseOptions.shape.statementTimeoutMs,
  database: z.instanceof(PostgresDatabase).optional(),
};

/** The refinement of a log's options: exactly one of `url` and `database`. */
export const hasOneSource: [
  (options: { url?: string | undefined; database?: PostgresDatabase | undefined }) => boolean,
  { message: string; path: string[] },
] = [
  (options) => (options.url === undefined) !== (options.database === undefined),
  { message: 'give either url or database', path: ['url'] },
];

type ResolvedSource = {
  url?: string | undefined;
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  database?: PostgresDatabase | undefined;
};

/** The database of a log's resolved options, and whether the log owns it (closes it). */
export async function databaseOf(
  source: ResolvedSource,
): Promise<{ database: PostgresDatabase; isOwned: boolean }> {
  if (source.database !== undefined) return { database: source.database, isOwned: false };
  const { poolSize, connectTimeoutMs, statementTimeoutMs } = source;
  const url = source.url ?? '';
  const database = await openPostgresDatabase({
    url,
    poolSize,
    connectTimeoutMs,
    statementTimeoutMs,
  });
  return { database, isOwned: true };
}
