import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { bwrapSkipReason } from '@paddock/testkit';
import { type McpWorld, startMcpWorld } from './test-support.ts';

describe('sandbox tools through the MCP SDK client', {
  skip: bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let w: McpWorld;
  let alice: Client;
  let bob: Client;
  before(async () => {
    w = await startMcpWorld();
    alice = await w.connect(w.alice);
    bob = await w.connect(w.bob);
    await w.api(w.alice).sandboxes.create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Sandbox',
      metadata: { name: 'alices' },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
    });
  });
  after(() => w.close());

  it("lists only the caller's sandboxes, as structured content", async () => {
    const mine = await alice.callTool({ name: 'sandbox_list', arguments: {} });
    assert.equal(mine.isError, undefined);
    const items = (mine.structuredContent as { items: Array<{ name: string }> }).items;
    assert.deepEqual(
      items.map((s) => s.name),
      ['alices'],
    );
    const theirs = await bob.callTool({ name: 'sandbox_list', arguments: {} });
    assert.deepEqual((theirs.structuredContent as { items: unknown[] }).items, []);
  });

  it("answers another user's sandbox as a tool error carrying the code", async () => {
    const got = await bob.callTool({ name: 'sandbox_get', arguments: { name: 'alices' } });
    assert.equal(got.isError, true);
    assert.deepEqual(
      (got.structuredContent as { error: { code: string } }).error.code,
      'not_found',
    );
    assert.match((got.content as Array<{ text: string }>)[0]?.text ?? '', /^not_found: /);
  });
});
