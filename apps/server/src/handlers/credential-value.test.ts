import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CreateCredentialBody } from '@paddock/api';
import { isPaddockError } from '@paddock/core';
import { encodeTar } from '@paddock/testkit';
import { credentialValue } from './credential-value.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const filesBody = (archive: Uint8Array): CreateCredentialBody => ({
  name: 'ssh',
  type: 'files',
  valueBase64: Buffer.from(archive).toString('base64'),
});

/** Asserts `validation_failed` whose one issue names `field` and whose message says `says`. */
function assertRefused(body: CreateCredentialBody, field: string, says: RegExp): void {
  assert.throws(
    () => credentialValue(body),
    (error) =>
      isPaddockError(error, 'validation_failed') &&
      says.test(error.message) &&
      JSON.stringify((error.details.issues as { path: string }[]).map((i) => i.path)) ===
        JSON.stringify([field]),
  );
}

describe('a files credential is a tar archive of exactly one directory', () => {
  it('accepts a directory, with or without its own entry', () => {
    const withEntry = encodeTar([
      { path: 'ssh', type: 'directory' },
      { path: 'ssh/id_ed25519', type: 'file', data: bytes('key\n') },
    ]);
    assert.deepEqual(credentialValue(filesBody(withEntry)), Buffer.from(withEntry));
    const without = encodeTar([{ path: 'ssh/id_ed25519', type: 'file', data: bytes('key\n') }]);
    assert.deepEqual(credentialValue(filesBody(without)), Buffer.from(without));
  });

  it('refuses an archive that holds nothing', () => {
    assertRefused(filesBody(encodeTar([])), 'valueBase64', /this one holds nothing$/);
  });

  it('names at most three of the top-level entries it holds', () => {
    const archive = encodeTar(
      ['a', 'b', 'c', 'd'].map((path) => ({ path, type: 'directory' as const })),
    );
    assertRefused(
      filesBody(archive),
      'valueBase64',
      /holds 4 top-level entries \("a", "b", "c", …\)$/,
    );
  });
});
