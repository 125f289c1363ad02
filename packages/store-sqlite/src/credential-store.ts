import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  assertCredentialValue,
  Credential,
  type CredentialInput,
  type CredentialSecret,
  type CredentialStore,
  ErrorCode,
  PaddockError,
  parseInput,
} from '@paddock/core';
import { z } from 'zod';
import { Connection } from './connection.ts';

/** Options of `openSqliteCredentialStore`, validated once (`validation_failed` listing every problem). */
export const SqliteCredentialStoreOptions = z.strictObject({
  /** The database file, usually the store's own (`paddock.db`); created and migrated if needed. */
  path: z.string().min(1),
  /** The 32-byte AES key (`<home>/credentials.key`); created with mode 0600 when absent. */
  keyFile: z.string().min(1),
  busyTimeoutMs: z.int().min(0).default(5_000),
});
export type SqliteCredentialStoreOptions = z.input<typeof SqliteCredentialStoreOptions>;

const KEY_BYTES = 32;
const IV_BYTES = 12;
const ALGORITHM = 'aes-256-gcm';

/** The key in `keyFile`, made (random, 0600, exclusively) when the file does not exist yet. */
function loadKey(keyFile: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new PaddockError(ErrorCode.Internal, `cannot read the credential key file ${keyFile}`, {
        keyFile,
      });
    }
    try {
      writeFileSync(keyFile, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
    } catch (raced) {
      // Another process made it first: use theirs.
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
    }
    key = readFileSync(keyFile);
  }
  if (key.length !== KEY_BYTES) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `the credential key file ${keyFile} must hold exactly ${KEY_BYTES} bytes (it holds ${key.length})`,
      { keyFile },
    );
  }
  return key;
}

/** Binds a ciphertext to its row: moved to another name, namespace or type, it fails to decrypt. */
function additionalData(credential: Credential): Buffer {
  return Buffer.from(JSON.stringify([credential.namespace, credential.name, credential.type]));
}

const Row = z.object({
  json: z.string(),
  iv: z.instanceof(Uint8Array),
  ciphertext: z.instanceof(Uint8Array),
  tag: z.instanceof(Uint8Array),
});

function describeRow(namespace: string, name: string): string {
  return `credential ${namespace}/${name}`;
}

function parseCredential(json: string, what: string): Credential {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    value = undefined;
  }
  const checked = Credential.safeParse(value);
  if (!checked.success) {
    throw new PaddockError(ErrorCode.Internal, `a corrupt row in the credentials table (${what})`);
  }
  return checked.data;
}

/**
 * Credentials in SQLite (see `CredentialStore` in @paddock/core for the contract): the
 * description as JSON, the value encrypted with AES-256-GCM under the key file's key, a fresh
 * random IV per write, and the namespace, name and type as additional authenticated data.
 */
export class SqliteCredentialStore implements CredentialStore {
  readonly path: string;
  readonly #connection: Connection;
  readonly #key: Buffer;

  constructor(options: SqliteCredentialStoreOptions) {
    const resolved = parseInput(
      SqliteCredentialStoreOptions,
      options,
      'SQLite credential store options',
    );
    this.path = resolved.path;
    this.#key = loadKey(resolved.keyFile);
    this.#connection = new Connection(resolved.path, resolved.busyTimeoutMs);
  }

  async put(
    input: CredentialInput,
    value: Uint8Array,
    options: { replace?: boolean } = {},
  ): Promise<Credential> {
    const parsed = parseInput(Credential, input, 'credential');
    assertCredentialValue(value);
    const what = describeRow(parsed.namespace, parsed.name);
    return this.#connection.write({ operation: 'store', object: what }, () => {
      const existing = this.#connection
        .statement('SELECT json FROM credentials WHERE namespace = ? AND name = ?')
        .get(parsed.namespace, parsed.name);
      let credential = parsed;
      if (existing !== undefined) {
        if (options.replace !== true) {
          throw new PaddockError(ErrorCode.AlreadyExists, `${what} already exists`, {
            namespace: parsed.namespace,
            name: parsed.name,
          });
        }
        const before = parseCredential(String(Object(existing).json), what);
        credential = { ...parsed, createdAt: before.createdAt };
      }
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, this.#key, iv);
      cipher.setAAD(additionalData(credential));
      const ciphertext = Buffer.concat([cipher.update(value), cipher.final()]);
      this.#connection
        .statement(
          `INSERT OR REPLACE INTO credentials (namespace, name, json, iv, ciphertext, tag)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          credential.namespace,
          credential.name,
          JSON.stringify(credential),
          iv,
          ciphertext,
          cipher.getAuthTag(),
        );
      return credential;
    });
  }

  async get(namespace: string, name: string): Promise<CredentialSecret | undefined> {
    const what = describeRow(namespace, name);
    const row = this.#connection.run({ operation: 'read', object: what }, () =>
      this.#connection
        .statement(
          'SELECT json, iv, ciphertext, tag FROM credentials WHERE namespace = ? AND name = ?',
        )
        .get(namespace, name),
    );
    if (row === undefined) return undefined;
    const parsed = Row.safeParse(row);
    if (!parsed.success) {
      throw new PaddockError(
        ErrorCode.Internal,
        `a corrupt row in the credentials table (${what})`,
      );
    }
    const credential = parseCredential(parsed.data.json, what);
    if (credential.namespace !== namespace || credential.name !== name) {
      throw new PaddockError(ErrorCode.Internal, `${what}: the row describes another credential`);
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, this.#key, parsed.data.iv);
      decipher.setAAD(additionalData(credential));
      decipher.setAuthTag(parsed.data.tag);
      const value = Buffer.concat([decipher.update(parsed.data.ciphertext), decipher.final()]);
      return { credential, value: new Uint8Array(value) };
    } catch {
      throw new PaddockError(
        ErrorCode.Internal,
        `${what} does not decrypt: the credential key file is not the one it was stored with, or the row was altered`,
        { namespace, name },
      );
    }
  }

  async list(namespace?: string): Promise<Credential[]> {
    const rows = this.#connection.run({ operation: 'list credentials' }, () =>
      namespace === undefined
        ? this.#connection
            .statement('SELECT namespace, name, json FROM credentials ORDER BY namespace, name')
            .all()
        : this.#connection
            .statement(
              'SELECT namespace, name, json FROM credentials WHERE namespace = ? ORDER BY name',
            )
            .all(namespace),
    );
    return rows.map((row) => {
      const { namespace: ns, name, json } = Object(row);
      return parseCredential(String(json), describeRow(String(ns), String(name)));
    });
  }

  async delete(namespace: string, name: string): Promise<Credential> {
    const what = describeRow(namespace, name);
    return this.#connection.write({ operation: 'delete', object: what }, () => {
      const row = this.#connection
        .statement('SELECT json FROM credentials WHERE namespace = ? AND name = ?')
        .get(namespace, name);
      if (row === undefined) {
        throw new PaddockError(ErrorCode.NotFound, `${what} not found`, { namespace, name });
      }
      this.#connection
        .statement('DELETE FROM credentials WHERE namespace = ? AND name = ?')
        .run(namespace, name);
      return parseCredential(String(Object(row).json), what);
    });
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }
}

/**
 * Opens the credentials table in the SQLite file at `options.path` with the key in
 * `options.keyFile` (made when absent). Throws `validation_failed` for bad options or a key file
 * of the wrong size, `internal` for an unusable database or key file.
 */
export async function openSqliteCredentialStore(
  options: SqliteCredentialStoreOptions,
): Promise<SqliteCredentialStore> {
  return new SqliteCredentialStore(options);
}
