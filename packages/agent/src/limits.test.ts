// Budget limits and timeouts of the real harness process: maxTokens, maxUsd, timeout, an unpriced
// model with maxUsd, and the gateway's 402 budget refusal.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type LlmScript, startScriptedLlm } from '@paddock/testkit';
import { ofType, providerEnv, startAgent, tempWorkspace } from './test-support/agent-process.ts';

let workspace: Awaited<ReturnType<typeof tempWorkspace>>;
before(async () => {
  workspace = await tempWorkspace();
});
after(() => workspace.cleanup());

async function runTask(script: LlmScript, args: string[], model = 'claude-sonnet-4-6') {
  const llm = await startScriptedLlm({ script });
  try {
    const agent = startAgent({
      cwd: workspace.dir,
      args: ['--provider', 'anthropic', '--model', model, '--prompt', 'go', ...args],
      env: providerEnv('anthropic', llm.url),
    });
    return { ...(await agent.exited), requests: llm.requests };
  } finally {
    await llm.close();
  }
}

const toolTurn = (inputTokens: number, outputTokens: number) => ({
  toolCalls: [{ name: 'list_dir', input: {} }],
  usage: { inputTokens, outputTokens },
});

test('maxTokens: the turn that goes over stops the run, its tools do not run', async () => {
  const { code, events, requests } = await runTask(
    [toolTurn(400, 100), toolTurn(400, 200), toolTurn(1, 1)],
    ['--max-tokens', '1000'],
  );
  assert.equal(code, 3);
  assert.equal(requests.length, 2);
  const finished = ofType(events, 'run.finished')[0];
  assert.equal(finished?.outcome, 'budget_exceeded');
  assert.equal(finished?.limit, 'maxTokens');
  assert.equal(finished?.usage.inputTokens, 800);
  assert.equal(finished?.usage.outputTokens, 300);
  assert.equal(ofType(events, 'tool.result').length, 1);
  assert.deepEqual(
    ofType(events, 'usage').map((u) => u.usage.inputTokens + u.usage.outputTokens),
    [500, 1100],
  );
});

test('maxUsd: priced with the price table, the run stops once spent', async () => {
  // claude-sonnet-4*: $3 in / $15 out per MTok; 100k input tokens = $0.30 a turn.
  const { code, events } = await runTask(
    [toolTurn(100_000, 0), toolTurn(100_000, 0), toolTurn(100_000, 0)],
    ['--max-usd', '0.5'],
  );
  assert.equal(code, 3);
  const finished = ofType(events, 'run.finished')[0];
  assert.equal(finished?.limit, 'maxUsd');
  assert.ok(Math.abs((finished?.usage.costUsd ?? 0) - 0.6) < 1e-9);
});

test('maxUsd with a model the price table does not know is refused at start (exit 2)', async () => {
  const { code, events, stderr, requests } = await runTask(
    [{ text: 'x' }],
    ['--max-usd', '1'],
    'my-local-model',
  );
  assert.equal(code, 2);
  assert.match(stderr, /my-local-model/);
  assert.match(stderr, /maxUsd/);
  assert.equal(events.length, 0);
  assert.equal(requests.length, 0);
});

test('an unpriced model without maxUsd runs, with a warning and a zero cost', async () => {
  const { code, events } = await runTask([{ text: 'fine' }], [], 'my-local-model');
  assert.equal(code, 0);
  assert.match(ofType(events, 'log')[0]?.message ?? '', /no price/);
  assert.equal(ofType(events, 'run.finished')[0]?.usage.costUsd, 0);
});

test('timeout: a hanging model call ends the run timed_out (exit 3)', async () => {
  const { code, events } = await runTask([{ isHanging: true }], ['--timeout', '1s']);
  assert.equal(code, 3);
  const finished = ofType(events, 'run.finished')[0];
  assert.equal(finished?.outcome, 'timed_out');
  assert.equal(finished?.limit, 'timeout');
});

test('bad flags are refused naming the field (exit 2)', async () => {
  for (const [args, pattern] of [
    [['--max-turns', 'many'], /budget\.maxTurns/],
    [['--timeout', 'soon'], /budget\.timeout/],
    [['--no-such-flag'], /no-such-flag/],
  ] as const) {
    const { code, stderr } = await runTask([], [...args]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, pattern);
  }
});

test("the gateway's 402 budget refusal ends the run budget_exceeded with the gateway's limit", async () => {
  // A stand-in for the Paddock gateway's refusal, in its wire shape.
  const gateway = createServer((_req, res) => {
    res.writeHead(402, {
      'content-type': 'application/json',
      'x-paddock-budget-limit': 'dailyUsd',
    });
    res.end(
      JSON.stringify({
        type: 'error',
        error: { type: 'budget_exceeded', message: 'daily budget spent' },
      }),
    );
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = gateway.address() as AddressInfo;
    const agent = startAgent({
      cwd: workspace.dir,
      args: ['--provider', 'anthropic', '--model', 'claude-sonnet-4-6', '--prompt', 'go'],
      env: providerEnv('anthropic', `http://127.0.0.1:${port}`),
    });
    const { code, events } = await agent.exited;
    assert.equal(code, 3);
    assert.equal(ofType(events, 'error')[0]?.code, 'budget_exceeded');
    const finished = ofType(events, 'run.finished')[0];
    assert.equal(finished?.outcome, 'budget_exceeded');
    assert.equal(finished?.limit, 'dailyUsd');
    assert.match(finished?.message ?? '', /daily budget spent/);
  } finally {
    gateway.closeAllConnections();
    await new Promise((resolve) => gateway.close(resolve));
  }
});
