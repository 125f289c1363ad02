// File credentials reach a run's sandbox as read-only files the runtime binds, never as a copy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AgentSpec,
  type CredentialSecret,
  isPaddockError,
  type Run,
  type SandboxRuntime,
} from '@paddock/core';
import { encodeTar, MemoryRuntime, type TarEntry } from '@paddock/testkit';
import { type CredentialSource, deliverCredentials } from './credential-delivery.ts';

const text = (s: string) => new TextEncoder().encode(s);
const ref = { namespace: 'default', name: 'box', uid: 'u1' };
const run: Run = {
  apiVersion: 'paddock.dev/v1alpha1',
  kind: 'Run',
  metadata: { name: 'r1', namespace: 'default', annotations: { 'paddock.dev/owner': 'alice' } },
  spec: { agent: { harness: { kind: 'builtin' } }, prompt: 'x', mode: 'task' },
};
const agent: AgentSpec = {
  harness: { kind: 'builtin' },
  credentials: [{ name: 'login', as: 'file', mountPath: '/home/user/.claude' }],
};

function source(entries: TarEntry[]): CredentialSource {
  return async ({ namespace, name, owner }) => {
    if (owner !== 'alice') return undefined;
    const secret: CredentialSecret = {
      credential: {
        name,
        namespace,
        type: 'files',
        description: '',
        owner,
        createdAt: '2025-01-01T00:00:00Z',
        updatedAt: '2025-01-01T00:00:00Z',
      },
      value: encodeTar(entries),
    };
    return secret;
  };
}

const login = (token: string): TarEntry[] => [
  { path: '.claude', type: 'directory' },
  { path: '.claude/.credentials.json', type: 'file', data: text(token) },
  { path: '.claude/bin', type: 'directory' },
  { path: '.claude/bin/helper', type: 'file', data: text('#!/bin/sh\n'), mode: 0o755 },
];

describe('deliverCredentials (as: file)', () => {
  it('binds the directory read-only through the runtime, copying nothing in', async () => {
    const runtime = new MemoryRuntime();
    await runtime.provision({ ...ref, spec: {} });
    await deliverCredentials(source(login('one')), runtime, run, agent, ref);
    const [bound, ...rest] = runtime.readOnlyFilesOf(ref);
    assert.equal(rest.length, 0);
    assert.equal(bound?.mountPath, '/home/user/.claude');
    assert.deepEqual(
      bound?.files.map((f) => [f.path, new TextDecoder().decode(f.content), f.mode]),
      [
        ['.credentials.json', 'one', 0o644],
        ['bin/helper', '#!/bin/sh\n', 0o755],
      ],
    );
    assert.deepEqual(
      runtime.calls.filter((call) => !call.startsWith('provision')),
      ['bind default/box /home/user/.claude'],
      'no exec, no upload',
    );
    // A second run in the same sandbox replaces them.
    await deliverCredentials(source(login('two')), runtime, run, agent, ref);
    const again = runtime.readOnlyFilesOf(ref);
    assert.equal(again.length, 1);
    assert.equal(new TextDecoder().decode(again[0]?.files[0]?.content), 'two');
  });

  it('fails (runtime_unavailable) on a runtime that cannot bind read-only files', async () => {
    const memory = new MemoryRuntime();
    await memory.provision({ ...ref, spec: {} });
    const runtime: SandboxRuntime = Object.create(memory, {
      bindReadOnlyFiles: { value: undefined },
    });
    await assert.rejects(
      deliverCredentials(source(login('one')), runtime, run, agent, ref),
      (e) => isPaddockError(e, 'runtime_unavailable') && /default\/login/.test(e.message),
    );
    assert.deepEqual(memory.readOnlyFilesOf(ref), []);
  });

  it('refuses an archive holding a symlink or more than one directory, naming the credential', async () => {
    const runtime = new MemoryRuntime();
    await runtime.provision({ ...ref, spec: {} });
    const cases: Array<[TarEntry[], RegExp]> = [
      [[...login('x'), { path: '.claude/out', type: 'symlink', target: '/etc' }], /symlink/],
      [[...login('x'), { path: 'other', type: 'directory' }], /exactly one directory/],
    ];
    for (const [entries, why] of cases) {
      await assert.rejects(
        deliverCredentials(source(entries), runtime, run, agent, ref),
        (e) =>
          isPaddockError(e, 'validation_failed') &&
          e.message.startsWith('credential default/login') &&
          why.test(e.message),
      );
    }
    assert.deepEqual(runtime.readOnlyFilesOf(ref), []);
  });
});
