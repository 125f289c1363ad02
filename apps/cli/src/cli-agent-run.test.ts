// `paddock agent …` and `paddock run …` as a child process against a real `paddock up`, whose
// model calls go to the scripted LLM server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import { parseTranscriptLine } from '@paddock/core';
import {
  bwrapSkipReason,
  type PaddockProcess,
  type ScriptedLlm,
  startPaddockProcess,
  startScriptedLlm,
} from '@paddock/testkit';
import { deleteAllSandboxes } from './test-cleanup.ts';
import { runCli } from './test-cli.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const FAKE_KEY = 'sk-ant-test-cli';

describe('paddock agent and paddock run against a real paddock up', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cli-run-'));
  let llm: ScriptedLlm;
  let server: PaddockProcess;
  let url: string;
  let paddock: PaddockClient;

  const cli = (args: string[], stdin = '') => runCli(['--server', url, ...args], { stdin });

  before(async () => {
    llm = await startScriptedLlm({
      requireKey: FAKE_KEY,
      script: () => ({ text: 'Hello from the **scripted** model.' }),
    });
    server = await startPaddockProcess([main, 'up', '--addr', '127.0.0.1:0', '--home', home], {
      env: { ...process.env, PADDOCK_ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: FAKE_KEY },
    });
    url = server.url;
    paddock = createClient({ baseUrl: url });
  });

  after(async () => {
    for (const run of (await paddock.runs.list().catch(() => ({ items: [] }))).items) {
      await paddock.runs.cancel(run.metadata.name ?? '').catch(() => {});
    }
    try {
      await deleteAllSandboxes(paddock);
    } finally {
      await server.stop();
      await llm.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('agent create, list, get and delete', async () => {
    const created = await cli([
      'agent',
      'create',
      'helper',
      '--harness',
      'builtin',
      '--provider',
      'anthropic',
      '--model',
      'claude-sonnet-4-5',
      '--max-usd',
      '2',
      '--max-turns',
      '20',
      '--timeout',
      '10m',
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'agent/helper created\n');
    const script = await cli(['agent', 'create', 'script', '--harness', 'command', '--', 'sh']);
    assert.equal(script.code, 0, script.stderr);

    const table = await cli(['agent', 'list']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+HARNESS\s+MODEL\s+BUDGET\s+AGE$/);
    assert.match(
      lines[1] ?? '',
      /^helper\s+builtin\s+anthropic\/claude-sonnet-4-5\s+\$2 · 20 turns · 10m\s+\d+s$/,
    );
    assert.match(lines[2] ?? '', /^script\s+command\s+-\s+-\s+\d+s$/);

    const json = await cli(['agent', 'get', 'script', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const agent = JSON.parse(json.stdout) as { spec: { harness: unknown } };
    assert.deepEqual(agent.spec.harness, { kind: 'command', command: ['sh'] });

    const bad = await cli(['agent', 'create', 'x', '--harness', 'nope', '--max-usd', 'lots']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--harness: must be one of builtin/);
    assert.match(bad.stderr, /--max-usd/);

    const removed = await cli(['agent', 'delete', 'script']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'agent/script deleted\n');
    const gone = await cli(['agent', 'get', 'script']);
    assert.equal(gone.code, 3);
  });

  it('agent create -f takes a manifest', async () => {
    const file = join(home, 'agent.yaml');
    writeFileSync(
      file,
      'apiVersion: paddock.dev/v1alpha1\nkind: Agent\nmetadata: {name: from-file}\nspec: {harness: {kind: codex}}\n',
    );
    const created = await cli(['agent', 'create', '-f', file]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'agent/from-file created\n');
    const again = await cli(['agent', 'create', '-f', file]);
    assert.equal(again.code, 4);
  });

  it('run follows a task to its end and exits 0; run logs re-prints it', async () => {
    const result = await cli(['run', 'helper', 'say hello']);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^› say hello$/m);
    assert.equal(result.stdout.match(/Hello from the \*\*scripted\*\* model\./g)?.length, 1);
    assert.match(result.stdout, /\nSucceeded · 1 turn · 0 tool calls · .* in \/ .* out · \$\d/);
    const name = /run\/(\S+) created/.exec(result.stderr)?.[1] ?? '';
    assert.match(name, /^helper-/);

    const json = await cli(['run', 'logs', name, '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const events = json.stdout.trimEnd().split('\n').map(parseTranscriptLine);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
    );
    // The harness's last event (the gateway records its last call concurrently: either order).
    assert.equal(events.filter((e) => e.type !== 'llm.call').at(-1)?.type, 'run.finished');

    const list = await cli(['run', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`\\n${name}\\s+helper\\s+Succeeded\\s+1\\s`));
  });

  it('run --interactive sends each stdin line after a turn; end of input ends the run', async () => {
    const result = await cli(['run', 'helper', '--interactive', 'first'], 'second\n');
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^› first$/m);
    assert.match(result.stdout, /^› second$/m);
    assert.equal(result.stdout.match(/Hello from the \*\*scripted\*\* model\./g)?.length, 2);
    const name = /run\/(\S+) created/.exec(result.stderr)?.[1] ?? '';
    const run = await paddock.runs.get(name);
    assert.equal(run.spec.mode, 'interactive');
    assert.equal(run.status?.phase, 'Succeeded');
  });

  it('run --detach prints the name at once, and takes no --interactive', async () => {
    const detached = await cli(['run', 'helper', '--detach', '-o', 'name', 'say hello']);
    assert.equal(detached.code, 0, detached.stderr);
    assert.match(detached.stdout, /^run\/helper-\S+\n$/);
    const usage = await cli(['run', 'helper', '--detach', '--interactive', 'x']);
    assert.equal(usage.code, 2);
  });
});
