// Type-level checks: `tsc -p tsconfig.json` fails when a `@ts-expect-error` line stops being an
// error (the client became looser) or a plain line becomes one (the client became stricter).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from '@paddock/core';
import { createClient, type PaddockClient } from './index.ts';

export async function typeChecks(client: PaddockClient): Promise<void> {
  const box = await client.call('getSandbox', { params: { namespace: 'a', name: 'b' } });
  const phase: string | undefined = box.status?.phase;
  // @ts-expect-error a Sandbox has no `replicas`
  box.spec.replicas;
  // @ts-expect-error unknown operationId
  await client.call('getSandboxes', { params: { namespace: 'a', name: 'b' } });
  // @ts-expect-error params are required for a namespaced get
  await client.call('getSandbox');
  // @ts-expect-error the namespace is missing
  await client.call('getSandbox', { params: { name: 'b' } });
  // @ts-expect-error exec needs `command`, an array of strings
  await client.call('execSandbox', { params: { namespace: 'a', name: 'b' }, body: { cmd: 'ls' } });
  // @ts-expect-error the body of create is a Sandbox manifest
  await client.call('createSandbox', { params: { namespace: 'a' }, body: { kind: 'Sandbox' } });
  // @ts-expect-error stop takes no body
  await client.call('stopSandbox', { params: { namespace: 'a', name: 'b' }, body: {} });
  // @ts-expect-error readSandboxFile requires `query.path`
  await client.call('readSandboxFile', { params: { namespace: 'a', name: 'b' } });
  const bytes: Uint8Array = await client.call('readSandboxFile', {
    params: { namespace: 'a', name: 'b' },
    query: { path: '/x' },
  });
  // Cluster-scoped kinds and system routes need no params; booleans go in queries.
  const policies = await client.call('listClusterPolicy', { query: { watch: false } });
  const kind: 'ClusterPolicyList' = policies.kind;
  const health = await client.health();
  const ok: 'ok' = health.status;
  for await (const event of client.stream('listAgent', { params: { namespace: 'a' } })) {
    const agentKind: 'Agent' = event.object.kind;
    void agentKind;
  }
  for await (const event of client.sandboxes.execStream('b', { command: ['ls'] })) {
    if (event.type === 'exit') {
      const code: number | null = event.exitCode;
      void code;
    }
  }
  const text: string = await client.sandboxes.logs('b');
  // @ts-expect-error follow: true yields lines, not text
  const notText: string = client.sandboxes.logs('b', { follow: true });
  const run = await client.resources('Run').get('r1');
  const runKind: 'Run' = run.kind;
  // @ts-expect-error a Run is not an Agent
  const agentKind: 'Agent' = run.kind;
  void [phase, bytes, kind, ok, text, notText, runKind, agentKind];
}

describe('types', () => {
  it('an operationId outside the table is refused at run time too', async () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:9' });
    const call = client.call as (id: string) => Promise<unknown>;
    const error = await call('noSuchOperation').catch((e: unknown) => e);
    assert.ok(isPaddockError(error, 'not_found'), String(error));
    assert.equal(typeof typeChecks, 'function');
  });
});
