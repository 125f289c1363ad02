// A run survives its control plane: `paddock up` is killed (SIGKILL) while the harness works in
// its sandbox and started again on the same data directory. The transcript must hold every event
// the harness wrote exactly once, numbered without gaps, and the run must still finish.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from '@paddock/client';
import {
  bwrapSkipReason,
  eventually,
  type PaddockProcess,
  type ScriptedLlm,
  startPaddockProcess,
  startScriptedLlm,
} from '@paddock/testkit';

// The server itself (not `paddock up`, its parent), so that SIGKILL hits the process holding the pumps.
const serverMain = fileURLToPath(new URL('../../apps/server/src/main.ts', import.meta.url));
const KEY = 'sk-ant-restart-test-key';

describe('a run across a control-plane crash', {
  skip: bwrapSkipReason(),
  timeout: 180_000,
}, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-restart-'));
  let llm: ScriptedLlm;
  let server: PaddockProcess | undefined;

  const start = () =>
    startPaddockProcess([serverMain, '--addr', '127.0.0.1:0', '--home', home], {
      env: { ...process.env, PADDOCK_ANTHROPIC_BASE_URL: llm.url, ANTHROPIC_API_KEY: KEY },
    });

  before(async () => {
    llm = await startScriptedLlm({
      requireKey: KEY,
      script: [
        {
          toolCalls: [
            { name: 'bash', input: { command: 'echo before; sleep 4; echo after-the-crash' } },
          ],
        },
        { text: 'survived' },
      ],
    });
  });

  after(async () => {
    if (server) {
      const paddock = createClient({ baseUrl: server.url });
      await paddock
        .resources('Run')
        .delete('long')
        .catch(() => {});
      try {
        await eventually(async () => (await paddock.sandboxes.list()).items.length === 0, {
          what: "the run's sandbox deleted",
        });
      } finally {
        await server.stop();
      }
    }
    await llm.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('keeps every transcript event exactly once and finishes', async () => {
    server = await start();
    let paddock = createClient({ baseUrl: server.url });
    await paddock.resources('Run').create({
      apiVersion: 'paddock.dev/v1alpha1',
      kind: 'Run',
      metadata: { name: 'long' },
      spec: {
        agent: { harness: { kind: 'builtin' }, provider: 'anthropic', model: 'claude-sonnet-4-5' },
        prompt: 'take your time',
      },
    });
    // Crash while the tool runs: the model has answered once, the tool result is not in yet.
    const beforeCrash = await eventually(
      async () => {
        const { items } = await paddock.runs.events('long');
        return items.some((e) => e.type === 'tool.call') ? items : undefined;
      },
      { what: 'the harness calling its tool' },
    );
    await server.kill();

    server = await start();
    paddock = createClient({ baseUrl: server.url });
    const run = await eventually(
      async () => {
        const run = await paddock.resources('Run').get('long');
        return ['Succeeded', 'Failed'].includes(run.status?.phase ?? '') ? run : undefined;
      },
      { what: 'the run finished', timeoutMs: 60_000 },
    );
    const { items } = await paddock.runs.events('long');
    assert.equal(run.status?.phase, 'Succeeded', JSON.stringify(items.slice(-4)));
    assert.equal(run.status?.result?.text, 'survived');
    assert.deepEqual(
      items.map((e) => e.seq),
      items.map((_, i) => i + 1),
      'numbered from 1 without gaps',
    );
    // What was stored before the crash is unchanged, and nothing the harness wrote is repeated.
    assert.deepEqual(items.slice(0, beforeCrash.length), beforeCrash);
    const harnessEvents = items.filter((e) => e.type !== 'llm.call');
    const once = (type: string) => harnessEvents.filter((e) => e.type === type).length;
    const shape = JSON.stringify(items.map((e) => [e.seq, e.type, e.ts]));
    assert.equal(once('run.started'), 1, shape);
    assert.equal(once('tool.call'), 1, shape);
    assert.equal(once('tool.result'), 1);
    assert.equal(once('run.finished'), 1);
    const result = items.find((e) => e.type === 'tool.result');
    assert.match(String(result && 'output' in result ? result.output : ''), /after-the-crash/);
    assert.equal(llm.requests.length, 2, 'each model turn was asked for once');
  });
});
