import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { ErrorCode } from '@paddock/core';
import { assertRejectsWith, credentialInput, runCredentialStoreContract } from '@paddock/testkit';
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

const bytes = (text: string) => new TextEncoder().encode(text);

runCredentialStoreContract('SQLite', async () => {
  const dir = tempDir();
  const store = await openSqliteCredentialStore({
    path: join(dir, 'paddock.db'),
    keyFile: join(dir, 'credentials.key'),
  });
  return { store, cleanup: () => store.close() };
});

describe('SQLite credential store', () => {
  it('makes a private key file of 32 bytes', async () => {
    await withStore(async (_store, { keyFile }) => {
      assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the key file is private');
      assert.equal(readFileSync(keyFile).length, 32);
    });
  });

  it('never writes the plaintext to the database files', async () => {
    const dir = tempDir();
    const path = join(dir, 'paddock.db');
    const store = await openSqliteCredentialStore({ path, keyFile: join(dir, 'credentials.key') });
    await store.put(credentialInput('anthropic'), bytes(SECRET));
    await store.put({ ...credentialInput('login'), type: 'files' }, bytes(`${SECRET}-files`));
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
    await first.put(credentialInput('anthropic'), bytes(SECRET));
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
      await store.put(credentialInput('a'), bytes(`${SECRET}-a`));
      await store.put(credentialInput('b'), bytes(`${SECRET}-b`));
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
