import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { type CredentialInput, ErrorCode } from '@paddock/core';
import { assertRejectsWith } from '@paddock/testkit';
import { openSqliteCredentialStore, type SqliteCredentialStore } from './index.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const SECRET = 'sk-ant-plaintext-that-must-never-be-on-disk-0123456789';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-credentials-'));
  dirs.push(dir);
  return dir;
}

async function withStore(
  body: (store: SqliteCredentialStore, paths: { path: string; keyFile: string }) => Promise<void>,
) {
  const dir = tempDir();
  const paths = { path: join(dir, 'paddock.db'), keyFile: join(dir, 'credentials.key') };
  const store = await openSqliteCredentialStore(paths);
  try {
    await body(store, paths);
  } finally {
    await store.close();
  }
}

function credential(name: string, namespace = 'default'): CredentialInput {
  return {
    name,
    namespace,
    type: 'apiKey',
    description: 'the provider key',
    owner: 'alice',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array) => new TextDecoder().decode(value);

describe('SQLite credential store', () => {
  it('round-trips a value, lists without values, deletes', async () => {
    await withStore(async (store, { keyFile }) => {
      assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the key file is private');
      assert.equal(readFileSync(keyFile).length, 32);
      const stored = await store.put(credential('anthropic'), bytes(SECRET));
      assert.equal(stored.description, 'the provider key');
      const got = await store.get('default', 'anthropic');
      assert.equal(text(got?.value ?? new Uint8Array()), SECRET);
      assert.deepEqual(got?.credential, stored);
      assert.equal(await store.get('other', 'anthropic'), undefined);
      const listed = await store.list('default');
      assert.deepEqual(listed, [stored]);
      assert.ok(!JSON.stringify(listed).includes(SECRET));
      assert.deepEqual(await store.delete('default', 'anthropic'), stored);
      assert.deepEqual(await store.list(), []);
      await assertRejectsWith(store.delete('default', 'anthropic'), ErrorCode.NotFound);
    });
  });

  it('refuses a second put of a name unless replacing, keeping createdAt', async () => {
    await withStore(async (store) => {
      await store.put(credential('k'), bytes('one'));
      await assertRejectsWith(store.put(credential('k'), bytes('two')), ErrorCode.AlreadyExists);
      const replaced = await store.put(
        { ...credential('k'), createdAt: '2025-06-01T00:00:00.000Z' },
        bytes('two'),
        { replace: true },
      );
      assert.equal(replaced.createdAt, '2025-01-01T00:00:00.000Z');
      assert.equal(text((await store.get('default', 'k'))?.value ?? new Uint8Array()), 'two');
    });
  });

  it('refuses invalid credentials and empty values', async () => {
    await withStore(async (store) => {
      await assertRejectsWith(
        store.put({ ...credential('k'), name: 'Not A Name' }, bytes('x')),
        ErrorCode.ValidationFailed,
      );
      await assertRejectsWith(
        store.put(credential('k'), new Uint8Array()),
        ErrorCode.ValidationFailed,
      );
    });
  });

  it('never writes the plaintext to the database files', async () => {
    const dir = tempDir();
    const path = join(dir, 'paddock.db');
    const store = await openSqliteCredentialStore({ path, keyFile: join(dir, 'credentials.key') });
    await store.put(credential('anthropic'), bytes(SECRET));
    await store.put({ ...credential('login'), type: 'files' }, bytes(`${SECRET}-files`));
    // Before close the value may only be in the WAL; check every file, then again after close.
    const scan = () => {
      for (const file of readdirSync(dir)) {
        if (file === 'credentials.key') continue;
        const raw = readFileSync(join(dir, file));
        assert.equal(raw.indexOf(SECRET), -1, `${file} holds the plaintext`);
      }
    };
    scan();
    await store.close();
    scan();
  });

  it('fails clearly with another key file', async () => {
    const dir = tempDir();
    const path = join(dir, 'paddock.db');
    const first = await openSqliteCredentialStore({ path, keyFile: join(dir, 'a.key') });
    await first.put(credential('anthropic'), bytes(SECRET));
    await first.close();
    const second = await openSqliteCredentialStore({ path, keyFile: join(dir, 'b.key') });
    try {
      await assertRejectsWith(second.get('default', 'anthropic'), ErrorCode.Internal, (error) =>
        assert.match(error.message, /key file/),
      );
      // Listing needs no key: names and descriptions are not secret.
      assert.equal((await second.list()).length, 1);
    } finally {
      await second.close();
    }
  });

  it('refuses a key file of the wrong size', async () => {
    const dir = tempDir();
    const keyFile = join(dir, 'short.key');
    writeFileSync(keyFile, 'too short');
    await assertRejectsWith(
      openSqliteCredentialStore({ path: join(dir, 'paddock.db'), keyFile }),
      ErrorCode.ValidationFailed,
    );
  });

  it('refuses a tampered ciphertext and a ciphertext moved to another row', async () => {
    await withStore(async (store, { path }) => {
      await store.put(credential('a'), bytes(`${SECRET}-a`));
      await store.put(credential('b'), bytes(`${SECRET}-b`));
      const db = new DatabaseSync(path);
      try {
        // Move b's ciphertext, IV and tag into a's row.
        db.exec(
          "UPDATE credentials SET ciphertext = (SELECT ciphertext FROM credentials WHERE name = 'b') WHERE name = 'a'",
        );
        db.exec(
          "UPDATE credentials SET iv = (SELECT iv FROM credentials WHERE name = 'b'), tag = (SELECT tag FROM credentials WHERE name = 'b') WHERE name = 'a'",
        );
        const row = db.prepare("SELECT ciphertext FROM credentials WHERE name = 'b'").get() as {
          ciphertext: Uint8Array;
        };
        const flipped = Buffer.from(row.ciphertext);
        flipped[0] = (flipped[0] ?? 0) ^ 1;
        db.prepare("UPDATE credentials SET ciphertext = ? WHERE name = 'b'").run(flipped);
      } finally {
        db.close();
      }
      // a now holds b's whole ciphertext, IV and tag: the name is authenticated, so it fails.
      await assertRejectsWith(store.get('default', 'a'), ErrorCode.Internal);
      // b's ciphertext has one flipped bit.
      await assertRejectsWith(store.get('default', 'b'), ErrorCode.Internal);
    });
  });
});
