import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  McpError,
  ResourceListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { isTerminalRunPhase } from '@paddock/client';
import { bwrapSkipReason, eventually } from '@paddock/testkit';
import { type McpWorld, startMcpWorld } from './test-support.ts';

const API = 'paddock.dev/v1alpha1';

type Contents = ReadonlyArray<{ uri: string; text: string } | { uri: string; blob: string }>;

function textOf(contents: Contents): string {
  const first = contents[0];
  assert.ok(first !== undefined && 'text' in first, 'a text resource');
  return first.text;
}

function blobOf(contents: Contents): string {
  const first = contents[0];
  assert.ok(first !== undefined && 'blob' in first, 'a blob resource');
  return first.blob;
}

describe('resources through the MCP SDK client', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
}, () => {
  let w: McpWorld;
  let alice: Client;
  let bob: Client;
  const changes = { alice: 0, bob: 0 };
  before(async () => {
    w = await startMcpWorld();
    alice = await w.connect(w.alice);
    bob = await w.connect(w.bob);
    alice.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      changes.alice += 1;
    });
    bob.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      changes.bob += 1;
    });
    const api = w.api(w.alice);
    await api.sandboxes.create({
      apiVersion: API,
      kind: 'Sandbox',
      metadata: { name: 'files' },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
    });
    await api.sandboxes.waitFor('files', (s) => s.status?.phase === 'Running', {
      timeoutMs: 60_000,
    });
    await api.sandboxes.files.write('files', '/workspace/notes/hello.md', '# hello\n');
    await api.sandboxes.files.write('files', '/workspace/blob.bin', new Uint8Array([0, 255, 1]));
  });
  after(() => w.close());

  it('declares the file and transcript templates', async () => {
    const { resourceTemplates } = await alice.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate).sort(), [
      'paddock://runs/{namespace}/{name}/transcript',
      'paddock://sandboxes/{namespace}/{name}/files/{+path}',
    ]);
    assert.ok(alice.getServerCapabilities()?.resources?.listChanged);
  });

  it('reads a file as text, a binary file as a blob, a directory as a listing with uris', async () => {
    const file = await alice.readResource({
      uri: 'paddock://sandboxes/default/files/files/workspace/notes/hello.md',
    });
    assert.equal(textOf(file.contents), '# hello\n');
    assert.equal(file.contents[0]?.mimeType, 'text/markdown');

    const blob = await alice.readResource({
      uri: 'paddock://sandboxes/default/files/files/workspace/blob.bin',
    });
    assert.equal(blobOf(blob.contents), Buffer.from([0, 255, 1]).toString('base64'));

    const dir = await alice.readResource({
      uri: 'paddock://sandboxes/default/files/files/workspace/notes',
    });
    const listing = JSON.parse(textOf(dir.contents)) as {
      path: string;
      entries: Array<{ name: string; type: string; uri: string }>;
    };
    assert.equal(listing.path, '/workspace/notes');
    assert.deepEqual(
      listing.entries.map((e) => [e.name, e.type, e.uri]),
      [['hello.md', 'file', 'paddock://sandboxes/default/files/files/workspace/notes/hello.md']],
    );
  });

  it("refuses another user's sandbox files as not found", async () => {
    await assert.rejects(
      bob.readResource({ uri: 'paddock://sandboxes/default/files/files/workspace/notes/hello.md' }),
      (error: unknown) => {
        assert.ok(error instanceof McpError);
        assert.equal(error.code, -32002);
        assert.deepEqual(error.data, { code: 'not_found' });
        return true;
      },
    );
    await assert.rejects(
      alice.readResource({ uri: 'paddock://sandboxes/default/files/files/workspace/nothing' }),
      (error: unknown) => error instanceof McpError && error.code === -32002,
    );
  });

  it("lists the caller's running sandboxes' workspaces, not another user's", async () => {
    const mine = await alice.listResources();
    assert.deepEqual(
      mine.resources.map((r) => r.uri),
      ['paddock://sandboxes/default/files/files/workspace'],
    );
    const theirs = await bob.listResources();
    assert.deepEqual(theirs.resources, []);
  });

  it("reads a run's transcript, and lists it", async () => {
    const api = w.api(w.alice);
    await api.runs.create({
      apiVersion: API,
      kind: 'Run',
      metadata: { name: 'echo' },
      spec: {
        agent: {
          harness: { kind: 'command', command: ['sh', '-c', 'echo "said: $PADDOCK_PROMPT"'] },
        },
        prompt: 'hello there',
      },
    });
    await eventually(async () => isTerminalRunPhase((await api.runs.get('echo')).status?.phase), {
      timeoutMs: 120_000,
      what: 'the run to finish',
    });
    const read = await alice.readResource({ uri: 'paddock://runs/default/echo/transcript' });
    assert.equal(read.contents[0]?.mimeType, 'application/x-ndjson');
    const [header, ...events] = textOf(read.contents)
      .split('\n')
      .map((line) => JSON.parse(line) as { type?: string; run?: string; phase?: string });
    assert.equal(header?.run, 'default/echo');
    assert.equal(header?.phase, 'Succeeded');
    assert.equal(events[0]?.type, 'run.started');
    assert.equal(events.at(-1)?.type, 'run.finished');
    assert.match(JSON.stringify(events), /said: hello there/);

    const listed = await alice.listResources();
    assert.ok(listed.resources.some((r) => r.uri === 'paddock://runs/default/echo/transcript'));
    await assert.rejects(
      bob.readResource({ uri: 'paddock://runs/default/echo/transcript' }),
      (error: unknown) => error instanceof McpError && error.code === -32002,
    );
  });

  it("tells a session when its caller's sandboxes come or go, and no other's", async () => {
    const before = { ...changes };
    await w.api(w.alice).sandboxes.create({
      apiVersion: API,
      kind: 'Sandbox',
      metadata: { name: 'arrives' },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
    });
    await eventually(() => changes.alice > before.alice, {
      timeoutMs: 30_000,
      what: "alice's list_changed",
    });
    // Bob's own sandbox after Alice's: had Alice's reached Bob's watch, it would have come first.
    await w.api(w.bob).sandboxes.create({
      apiVersion: API,
      kind: 'Sandbox',
      metadata: { name: 'bobs' },
      spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'shell' } },
    });
    await eventually(() => changes.bob > before.bob, {
      timeoutMs: 30_000,
      what: "bob's list_changed",
    });
    assert.equal(changes.bob, before.bob + 1);
  });
});
