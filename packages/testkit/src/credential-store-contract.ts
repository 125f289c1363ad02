import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CredentialInput,
  type CredentialStore,
  ErrorCode,
  MAX_CREDENTIAL_BYTES,
} from '@paddock/core';
import { assertRejectsWith } from './store-fixtures.ts';

/** A fresh, empty credential store for one case; `cleanup` closes it and removes what it made. */
export type CredentialStoreUnderTest = { store: CredentialStore; cleanup(): Promise<void> };

/** A test credential (an `apiKey` of alice's, made on 2025-01-01) named `name` in `namespace`. */
export function credentialInput(name: string, namespace = 'default'): CredentialInput {
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

const SECRET = 'sk-ant-plaintext-that-must-never-be-listed-0123456789';
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) => new TextDecoder().decode(value);

/**
 * The CredentialStore contract (see `CredentialStore` in @paddock/core): values come back
 * byte for byte with the credential as stored; `list` never carries values and is ordered by
 * namespace, then name; a second `put` is `already_exists` unless `replace`, which keeps
 * `createdAt`; invalid credentials and empty or oversized values are `validation_failed`;
 * `get` of an unknown credential is `undefined`, `delete` of one `not_found`. How values are
 * protected at rest (a key file, a cluster's Secrets) is each implementation's own test.
 */
export function runCredentialStoreContract(
  name: string,
  open: () => Promise<CredentialStoreUnderTest>,
): void {
  const withStore = (body: (store: CredentialStore) => Promise<void>) => async () => {
    const subject = await open();
    try {
      await body(subject.store);
    } finally {
      await subject.cleanup();
    }
  };

  describe(`CredentialStore contract: ${name}`, () => {
    it(
      'round-trips a value, lists without values, deletes',
      withStore(async (store) => {
        const stored = await store.put(credentialInput('anthropic'), bytes(SECRET));
        assert.equal(stored.description, 'the provider key');
        const got = await store.get('default', 'anthropic');
        assert.equal(text(got?.value), SECRET);
        assert.deepEqual(got?.credential, stored);
        assert.equal(await store.get('other', 'anthropic'), undefined);
        const listed = await store.list('default');
        assert.deepEqual(listed, [stored]);
        assert.ok(!JSON.stringify(listed).includes(SECRET));
        assert.deepEqual(await store.delete('default', 'anthropic'), stored);
        assert.equal(await store.get('default', 'anthropic'), undefined);
        assert.deepEqual(await store.list(), []);
        await assertRejectsWith(store.delete('default', 'anthropic'), ErrorCode.NotFound);
      }),
    );

    it(
      'refuses a second put of a name unless replacing, keeping createdAt',
      withStore(async (store) => {
        await store.put(credentialInput('k'), bytes('one'));
        await assertRejectsWith(
          store.put(credentialInput('k'), bytes('two')),
          ErrorCode.AlreadyExists,
        );
        assert.equal(text((await store.get('default', 'k'))?.value), 'one');
        const replaced = await store.put(
          {
            ...credentialInput('k'),
            type: 'env',
            description: 'rotated',
            createdAt: '2025-06-01T00:00:00.000Z',
            updatedAt: '2025-06-01T00:00:00.000Z',
          },
          bytes('two'),
          { replace: true },
        );
        assert.equal(replaced.createdAt, '2025-01-01T00:00:00.000Z');
        assert.equal(replaced.updatedAt, '2025-06-01T00:00:00.000Z');
        const got = await store.get('default', 'k');
        assert.equal(text(got?.value), 'two');
        assert.deepEqual(got?.credential, replaced);
        assert.equal(got?.credential.type, 'env');
        assert.equal(got?.credential.description, 'rotated');
      }),
    );

    it(
      'replaces a credential that does not exist yet as a plain put',
      withStore(async (store) => {
        const stored = await store.put(credentialInput('fresh'), bytes('v'), { replace: true });
        assert.equal(stored.createdAt, '2025-01-01T00:00:00.000Z');
        assert.equal(text((await store.get('default', 'fresh'))?.value), 'v');
      }),
    );

    it(
      'refuses invalid credentials and empty or oversized values',
      withStore(async (store) => {
        await assertRejectsWith(
          store.put({ ...credentialInput('k'), name: 'Not A Name' }, bytes('x')),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          store.put({ ...credentialInput('k'), namespace: 'x'.repeat(64) }, bytes('x')),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          store.put({ ...credentialInput('k'), type: 'password' as 'env' }, bytes('x')),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          store.put(credentialInput('k'), new Uint8Array()),
          ErrorCode.ValidationFailed,
        );
        await assertRejectsWith(
          store.put(credentialInput('k'), new Uint8Array(MAX_CREDENTIAL_BYTES + 1)),
          ErrorCode.ValidationFailed,
        );
        assert.deepEqual(await store.list(), []);
      }),
    );

    it(
      'keeps any bytes, up to the largest value',
      withStore(async (store) => {
        const every = Uint8Array.from({ length: 256 }, (_, i) => i);
        await store.put({ ...credentialInput('login'), type: 'files' }, every);
        assert.deepEqual((await store.get('default', 'login'))?.value, every);
        const largest = Uint8Array.from({ length: MAX_CREDENTIAL_BYTES }, (_, i) => (i * 7) % 251);
        await store.put(credentialInput('large'), largest);
        assert.deepEqual((await store.get('default', 'large'))?.value, largest);
      }),
    );

    it(
      'lists one namespace by name, or every namespace by namespace then name',
      withStore(async (store) => {
        for (const [namespace, name] of [
          ['team-b', 'zeta'],
          ['default', 'beta'],
          ['team-b', 'alpha'],
          ['default', 'alpha'],
          ['team-a', 'gamma'],
        ] as const) {
          await store.put(credentialInput(name, namespace), bytes(`${namespace}/${name}`));
        }
        const names = (list: { namespace: string; name: string }[]) =>
          list.map((c) => `${c.namespace}/${c.name}`);
        assert.deepEqual(names(await store.list('team-b')), ['team-b/alpha', 'team-b/zeta']);
        assert.deepEqual(names(await store.list('default')), ['default/alpha', 'default/beta']);
        assert.deepEqual(names(await store.list()), [
          'default/alpha',
          'default/beta',
          'team-a/gamma',
          'team-b/alpha',
          'team-b/zeta',
        ]);
        assert.deepEqual(await store.list('nobody'), []);
        assert.equal(text((await store.get('team-b', 'alpha'))?.value), 'team-b/alpha');
      }),
    );

    it(
      'answers for names that cannot exist as for unknown ones',
      withStore(async (store) => {
        assert.equal(await store.get('default', 'Not A Name'), undefined);
        assert.equal(await store.get('Not/A/Namespace', 'k'), undefined);
        assert.deepEqual(await store.list('Not A Namespace'), []);
        await assertRejectsWith(store.delete('default', 'Not A Name'), ErrorCode.NotFound);
      }),
    );
  });
}
