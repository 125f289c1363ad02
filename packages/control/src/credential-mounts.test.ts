// Template `mounts[].credential`: resolved with the sandbox owner's rights and handed to the
// runtime as read-only files at provision (never copied in by an exec).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CredentialSecret, Sandbox } from '@paddock/core';
import { encodeTar } from '@paddock/testkit';
import { OWNER_ANNOTATION } from './admission.ts';
import type { CredentialSource } from './runs/credential-delivery.ts';
import { runtimeRefOf } from './runtime-ref.ts';
import { createHarness, type Harness, sandboxManifest, templateManifest } from './test-harness.ts';

const text = (s: string) => new TextEncoder().encode(s);

function ownedBy(owner: string, name: string): Sandbox {
  const sandbox = sandboxManifest(name, { templateRef: { name: 'with-login' } });
  sandbox.metadata.annotations = { [OWNER_ANNOTATION]: owner };
  return sandbox;
}

describe('template credential mounts', () => {
  let h: Harness;
  const uses: string[] = [];
  beforeEach(async () => {
    h = await createHarness();
    uses.length = 0;
    const source: CredentialSource = async ({ namespace, name, owner, sandboxName, use }) => {
      uses.push(`${owner} ${namespace}/${name} ${sandboxName} ${use}`);
      if (owner !== 'alice' || name !== 'login') return undefined;
      const secret: CredentialSecret = {
        credential: {
          name,
          namespace,
          type: 'files',
          description: '',
          owner,
          createdAt: '2026-01-01T00:00:00Z',
          updatedAt: '2026-01-01T00:00:00Z',
        },
        value: encodeTar([
          { path: 'login', type: 'directory' },
          { path: 'login/token', type: 'file', data: text('alice-token') },
        ]),
      };
      return secret;
    };
    h.credentials = source;
    await h.apply(
      templateManifest('with-login', {
        mounts: [{ name: 'login', mountPath: '/home/user/.claude', credential: 'login' }],
      }),
    );
  });
  afterEach(async () => {
    await h.close();
  });

  it("binds the owner's files credential read-only at provision", async () => {
    await h.apply(ownedBy('alice', 'a1'));
    const sandbox = await h.settle('a1');
    assert.equal(sandbox.status?.phase, 'Running', sandbox.status?.message);
    const files = h.runtime.readOnlyFilesOf(runtimeRefOf(sandbox));
    assert.deepEqual(
      files.map((f) => [
        f.mountPath,
        f.files.map((x) => [x.path, new TextDecoder().decode(x.content)]),
      ]),
      [['/home/user/.claude', [['token', 'alice-token']]]],
    );
    assert.deepEqual(uses, ['alice default/login a1 file']);
    assert.ok(!h.runtime.calls.some((call) => call.startsWith('exec')), 'nothing copied in');
  });

  it("fails provisioning, naming the field, for a credential that is not the owner's", async () => {
    await h.apply(ownedBy('mallory', 'm1'));
    const sandbox = await h.settle('m1');
    assert.equal(sandbox.status?.phase, 'Error');
    assert.equal(sandbox.status?.provisionFailure?.step, 'mounts');
    const output = sandbox.status?.provisionFailure?.output ?? '';
    assert.match(output, /^spec\.mounts\[0\]\.credential: credential default\/login not found/);
    assert.ok(!h.runtime.calls.some((call) => call.startsWith('provision')));
  });
});
