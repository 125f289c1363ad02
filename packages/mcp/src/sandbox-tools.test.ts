import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { bwrapSkipReason } from '@paddock/testkit';
import { type McpWorld, startMcpWorld } from './test-support.ts';
import { toolErrorOf } from './tool.ts';

type Outcome = {
  isError: boolean;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: structured content is checked field by field
  data: any;
  progress: Progress[];
};

/** Calls a tool through the SDK client, collecting its progress notifications. */
async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Outcome> {
  const progress: Progress[] = [];
  const result = await client.callTool({ name, arguments: args }, undefined, {
    onprogress: (p) => progress.push(p),
    ...(signal === undefined ? {} : { signal }),
  });
  const content = result.content as Array<{ type: string; text?: string }>;
  return {
    isError: result.isError === true,
    text: content.map((c) => c.text ?? '').join(''),
    data: result.isError ? { error: toolErrorOf(result) } : result.structuredContent,
    progress,
  };
}

function ok(outcome: Outcome) {
  assert.equal(outcome.isError, false, outcome.text);
  return outcome.data;
}

function failed(outcome: Outcome, code: string): string {
  assert.equal(outcome.isError, true, `expected ${code}, got ${outcome.text}`);
  assert.equal(outcome.data.error.code, code, outcome.text);
  return outcome.text;
}

async function until(what: string, predicate: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('sandbox tools through the MCP SDK client', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
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
    await w
      .api(w.admin)
      .resources('SandboxTemplate')
      .create({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'SandboxTemplate',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          inheritsFrom: { kind: 'ClusterSandboxTemplate', name: 'shell' },
          ports: [
            { name: 'web', port: 8080, protocol: 'http' },
            { name: 'db', port: 5432, protocol: 'tcp' },
          ],
        },
      });
    // The sandbox most tests work in: a main process that prints a line, then idles.
    ok(
      await call(alice, 'sandbox_create', {
        template: 'shell',
        name: 'work',
        env: { GREETING: 'hello from env' },
        command: ['sh', '-c', 'echo main process says hi; exec sleep 3600'],
      }),
    );
  });
  after(() => w.close());

  it('declares the annotations each tool needs', async () => {
    // A client of its own: one that listed the tools validates tool errors' structured content
    // against the output schema (see the report on tool.ts), which the other tests would trip.
    const { tools } = await (await w.connect(w.alice)).listTools();
    const hints = new Map(tools.map((t) => [t.name, t.annotations]));
    for (const name of [
      'sandbox_list',
      'sandbox_get',
      'sandbox_read_file',
      'sandbox_list_files',
      'sandbox_preview_url',
      'sandbox_logs',
      'sandbox_events',
    ]) {
      assert.equal(hints.get(name)?.readOnlyHint, true, name);
      assert.equal(hints.get(name)?.destructiveHint, false, name);
    }
    assert.equal(hints.get('sandbox_delete')?.destructiveHint, true);
    assert.equal(hints.get('sandbox_create')?.idempotentHint, false);
    assert.equal(hints.get('sandbox_create')?.readOnlyHint, false);
    assert.equal(hints.get('sandbox_stop')?.idempotentHint, true);
    assert.equal(hints.get('sandbox_start')?.idempotentHint, true);
    assert.equal(hints.get('sandbox_exec')?.idempotentHint, false);
    for (const tool of tools.filter((t) => t.name.startsWith('sandbox_'))) {
      assert.ok(tool.outputSchema, `${tool.name} declares its output`);
    }
  });

  it("lists only the caller's sandboxes, as structured content", async () => {
    const mine = ok(await call(alice, 'sandbox_list', {}));
    assert.deepEqual(mine.items.map((s: { name: string }) => s.name).sort(), ['alices', 'work']);
    const theirs = ok(await call(bob, 'sandbox_list', {}));
    assert.deepEqual(theirs.items, []);
  });

  it("refuses another user's sandbox in every tool that names one, as not_found", async () => {
    const target = { name: 'work' };
    const attempts: Array<[string, Record<string, unknown>]> = [
      ['sandbox_get', target],
      ['sandbox_stop', target],
      ['sandbox_start', target],
      ['sandbox_pause', target],
      ['sandbox_resume', target],
      ['sandbox_delete', target],
      ['sandbox_exec', { ...target, command: 'echo pwned > /workspace/pwned' }],
      ['sandbox_read_file', { ...target, path: '/etc/hostname' }],
      ['sandbox_write_file', { ...target, path: '/workspace/pwned', content: 'x' }],
      ['sandbox_list_files', target],
      ['sandbox_preview_url', target],
      ['sandbox_logs', target],
      ['sandbox_events', target],
    ];
    for (const [tool, args] of attempts) {
      const text = failed(await call(bob, tool, args), 'not_found');
      assert.match(text, /^not_found: /, tool);
    }
    const files = ok(await call(alice, 'sandbox_list_files', { name: 'work' }));
    assert.equal(
      files.items.some((f: { name: string }) => f.name === 'pwned'),
      false,
    );
    assert.equal(ok(await call(alice, 'sandbox_get', { name: 'work' })).phase, 'Running');
  });

  it('creates a sandbox, reporting each phase as progress, with the overrides asked for', async () => {
    const created = await call(alice, 'sandbox_create', {
      template: 'shell',
      name: 'fresh',
      env: { COLOR: 'teal' },
      timeout: '30m',
    });
    const summary = ok(created);
    assert.equal(summary.phase, 'Running');
    assert.equal(summary.template, 'ClusterSandboxTemplate/shell');
    assert.ok(summary.expiresAt, 'the timeout override set an expiry');
    const messages = created.progress.map((p) => p.message ?? '');
    assert.match(messages.at(-1) ?? '', /^sandbox fresh: Running/);
    assert.ok(messages.length >= 2, `progress per phase: ${messages.join(' | ')}`);
    const progressValues = created.progress.map((p) => p.progress);
    assert.deepEqual(
      progressValues,
      [...progressValues].sort((a, b) => a - b),
    );
    const env = ok(await call(alice, 'sandbox_exec', { name: 'fresh', command: 'echo $COLOR' }));
    assert.equal(env.stdout, 'teal\n');
    ok(await call(alice, 'sandbox_delete', { name: 'fresh' }));
  });

  it('creates with a generated name when none is given, and finds a namespaced template', async () => {
    const summary = ok(await call(alice, 'sandbox_create', { template: 'web' }));
    assert.match(summary.name, /^web-/);
    assert.equal(summary.template, 'SandboxTemplate/web');
    const ports = ok(await call(alice, 'sandbox_preview_url', { name: summary.name }));
    const web = ports.items.find((p: { port: number }) => p.port === 8080);
    assert.equal(web.protocol, 'http');
    assert.match(web.previewUrl, /^https?:\/\//);
    const db = ports.items.find((p: { port: number }) => p.port === 5432);
    assert.equal(db.protocol, 'tcp');
    assert.equal(db.previewUrl, undefined);
    const one = ok(await call(alice, 'sandbox_preview_url', { name: summary.name, port: 8080 }));
    assert.deepEqual(
      one.items.map((p: { port: number }) => p.port),
      [8080],
    );
    const none = failed(
      await call(alice, 'sandbox_preview_url', { name: summary.name, port: 9999 }),
      'not_found',
    );
    assert.match(none, /declares 8080, 5432/);
    ok(await call(alice, 'sandbox_delete', { name: summary.name }));
  });

  it('answers a sandbox that fails to provision as a tool error with the reason', async () => {
    const text = failed(
      await call(alice, 'sandbox_create', {
        template: 'shell',
        name: 'broken',
        overrides: {
          init: [{ name: 'boom', command: ['sh', '-c', 'echo cannot set up >&2; exit 3'] }],
        },
      }),
      'runtime_unavailable',
    );
    assert.match(text, /ProvisionFailed/);
    assert.match(text, /exited 3/);
    const events = ok(await call(alice, 'sandbox_events', { name: 'broken' }));
    assert.ok(
      events.items.some((e: { type: string }) => e.type === 'Warning'),
      JSON.stringify(events.items),
    );
    ok(await call(alice, 'sandbox_delete', { name: 'broken' }));
  });

  it('refuses an override the template does not allow, as policy_violation', async () => {
    const refused = await call(alice, 'sandbox_create', {
      template: 'shell',
      name: 'leaky',
      overrides: { network: { egress: 'open' } },
    });
    assert.equal(refused.isError, true);
    assert.match(refused.text, /network/);
  });

  it('runs argv and shell commands, with env, cwd, stdin and the exit status', async () => {
    const argv = ok(
      await call(alice, 'sandbox_exec', { name: 'work', command: ['printf', '%s', 'a b'] }),
    );
    assert.equal(argv.stdout, 'a b');
    assert.equal(argv.exitCode, 0);
    const shell = ok(
      await call(alice, 'sandbox_exec', {
        name: 'work',
        command: 'pwd; echo "$GREETING/$EXTRA"; cat; echo oops >&2; exit 7',
        cwd: '/tmp',
        env: { EXTRA: 'more' },
        stdin: 'from stdin\n',
      }),
    );
    assert.equal(shell.stdout, '/tmp\nhello from env/more\nfrom stdin\n');
    assert.equal(shell.stderr, 'oops\n');
    assert.equal(shell.exitCode, 7);
    assert.equal(shell.timedOut, false);
    assert.equal(shell.truncated, false);
  });

  it('streams output chunks as progress notifications', async () => {
    const streamed = await call(alice, 'sandbox_exec', {
      name: 'work',
      command: 'echo first; sleep 0.3; echo second >&2; sleep 0.3; echo third',
    });
    assert.equal(ok(streamed).stdout, 'first\nthird\n');
    assert.deepEqual(
      streamed.progress.map((p) => p.message),
      ['first\n', 'second\n', 'third\n'],
    );
  });

  it('kills a command at its timeout and cuts long output, saying so', async () => {
    const slow = ok(
      await call(alice, 'sandbox_exec', { name: 'work', command: ['sleep', '30'], timeoutMs: 300 }),
    );
    assert.equal(slow.timedOut, true);
    assert.equal(slow.exitCode, null);
    const long = ok(
      await call(alice, 'sandbox_exec', {
        name: 'work',
        command: 'seq 1 100000',
        maxOutputChars: 1000,
      }),
    );
    assert.equal(long.truncated, true);
    assert.ok(long.stdout.length < 1100, `${long.stdout.length} characters`);
    assert.match(long.stdout, /^1\n2\n/);
    assert.match(long.stdout, /characters omitted/);
    assert.match(long.stdout, /\n100000\n$/);
  });

  it('writes, reads and lists files, text and binary', async () => {
    const written = ok(
      await call(alice, 'sandbox_write_file', {
        name: 'work',
        path: '/workspace/notes/hello.txt',
        content: 'héllo\nworld\n',
      }),
    );
    assert.equal(written.sizeBytes, Buffer.byteLength('héllo\nworld\n'));
    const text = ok(
      await call(alice, 'sandbox_read_file', { name: 'work', path: '/workspace/notes/hello.txt' }),
    );
    assert.deepEqual(text, {
      path: '/workspace/notes/hello.txt',
      encoding: 'utf8',
      content: 'héllo\nworld\n',
      sizeBytes: 13,
      truncated: false,
    });
    // Cut inside "é": the half character is dropped, not turned into base64.
    const head = ok(
      await call(alice, 'sandbox_read_file', {
        name: 'work',
        path: '/workspace/notes/hello.txt',
        maxBytes: 2,
      }),
    );
    assert.equal(head.encoding, 'utf8');
    assert.equal(head.content, 'h');
    assert.equal(head.truncated, true);
    assert.equal(head.sizeBytes, 13, 'the size of the whole file, of which 2 bytes were read');

    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    ok(
      await call(alice, 'sandbox_write_file', {
        name: 'work',
        path: '/workspace/notes/blob.bin',
        content: bytes.toString('base64'),
        encoding: 'base64',
      }),
    );
    const script = ok(
      await call(alice, 'sandbox_write_file', {
        name: 'work',
        path: '/workspace/notes/run.sh',
        content: '#!/bin/sh\necho ran\n',
        mode: '755',
      }),
    );
    assert.equal(script.mode, '755');
    assert.equal(
      ok(await call(alice, 'sandbox_exec', { name: 'work', command: ['/workspace/notes/run.sh'] }))
        .stdout,
      'ran\n',
    );
    const binary = ok(
      await call(alice, 'sandbox_read_file', { name: 'work', path: '/workspace/notes/blob.bin' }),
    );
    assert.equal(binary.encoding, 'base64');
    assert.deepEqual(Buffer.from(binary.content, 'base64'), bytes);

    const listed = ok(await call(alice, 'sandbox_list_files', { name: 'work' }));
    const notes = listed.items.find((f: { name: string }) => f.name === 'notes');
    assert.equal(notes.type, 'directory');
    const inside = ok(
      await call(alice, 'sandbox_list_files', { name: 'work', path: '/workspace/notes' }),
    );
    assert.deepEqual(inside.items.map((f: { name: string }) => f.name).sort(), [
      'blob.bin',
      'hello.txt',
      'run.sh',
    ]);
    const missing = await call(alice, 'sandbox_read_file', { name: 'work', path: '/nope/x' });
    assert.equal(missing.isError, true);
  });

  it("reads the main process's log and the sandbox's events", async () => {
    await until('the main process to print', async () => {
      const logs = ok(await call(alice, 'sandbox_logs', { name: 'work' }));
      return logs.text.includes('main process says hi');
    });
    const exec = ok(await call(alice, 'sandbox_logs', { name: 'work', tailLines: 1 }));
    assert.equal(exec.truncated, false);
    const events = ok(await call(alice, 'sandbox_events', { name: 'work' }));
    const reasons = events.items.map((e: { reason: string }) => e.reason);
    assert.ok(reasons.length > 0);
    assert.ok(reasons.includes('Admitted'), reasons.join(', '));
    const last = ok(await call(alice, 'sandbox_events', { name: 'work', limit: 1 }));
    assert.equal(last.items.length, 1);
    assert.deepEqual(last.items[0], events.items.at(-1));
  });

  it('pauses and resumes a sandbox, waiting for each; exec is refused while it is paused', async () => {
    const paused = await call(alice, 'sandbox_pause', { name: 'alices' });
    assert.equal(ok(paused).phase, 'Paused');
    assert.match(paused.progress.at(-1)?.message ?? '', /Paused/);
    const refused = await call(alice, 'sandbox_exec', { name: 'alices', command: 'true' });
    assert.match(failed(refused, 'sandbox_paused'), /^sandbox_paused: /);
    const resumed = await call(alice, 'sandbox_resume', { name: 'alices' });
    assert.equal(ok(resumed).phase, 'Running');
    assert.equal(ok(await call(alice, 'sandbox_resume', { name: 'alices' })).phase, 'Running');
  });

  it('stops and starts a sandbox, waiting for each, and keeps its files', async () => {
    ok(
      await call(alice, 'sandbox_write_file', {
        name: 'alices',
        path: '/workspace/kept.txt',
        content: 'still here',
      }),
    );
    const stopped = await call(alice, 'sandbox_stop', { name: 'alices' });
    assert.equal(ok(stopped).phase, 'Stopped');
    assert.match(stopped.progress.at(-1)?.message ?? '', /Stopped/);
    assert.equal(ok(await call(alice, 'sandbox_stop', { name: 'alices' })).phase, 'Stopped');
    const refused = await call(alice, 'sandbox_exec', { name: 'alices', command: 'true' });
    assert.equal(refused.isError, true);
    const started = await call(alice, 'sandbox_start', { name: 'alices' });
    assert.equal(ok(started).phase, 'Running');
    assert.match(started.progress.at(-1)?.message ?? '', /Running/);
    assert.equal(ok(await call(alice, 'sandbox_start', { name: 'alices' })).phase, 'Running');
    const kept = ok(
      await call(alice, 'sandbox_read_file', { name: 'alices', path: '/workspace/kept.txt' }),
    );
    assert.equal(kept.content, 'still here');
  });

  it('deletes a sandbox; it is gone afterwards', async () => {
    ok(await call(alice, 'sandbox_create', { template: 'shell', name: 'doomed' }));
    const deleted = ok(await call(alice, 'sandbox_delete', { name: 'doomed' }));
    assert.equal(deleted.name, 'doomed');
    assert.ok(['deleted', 'terminating'].includes(deleted.status));
    await until('the sandbox to go', async () => {
      const got = await call(alice, 'sandbox_get', { name: 'doomed' });
      return got.isError && got.data.error.code === 'not_found';
    });
  });

  // A cancel kills the command and every process it started (its process group).
  for (const [form, command, marker] of [
    ['argv', ['sleep', '4242'], 'sleep 4242 '],
    ['shell', 'sleep 4343 & sleep 4343; echo never', 'sleep 4343 '],
  ] as const) {
    it(`kills a cancelled command (${form} form): the process is gone from the sandbox`, async () => {
      const api = w.api(w.alice);
      const running = async () => {
        const ps = await api.sandboxes.exec('work', {
          command: ['sh', '-c', "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done"],
        });
        return ps.stdout.split('\n').includes(marker);
      };
      const cancel = new AbortController();
      const pending = call(alice, 'sandbox_exec', { name: 'work', command }, cancel.signal);
      await until('the command to start', running);
      cancel.abort();
      await assert.rejects(pending);
      await until('the command to be killed', async () => !(await running()));
    });
  }
});
