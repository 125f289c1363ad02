// The real Codex (the pinned @openai/codex package's binary) as a run's harness, end to end: a
// real server, a real sandbox with no network but the gateway, `paddock-agent wrap codex` inside
// it, and a scripted model behind the gateway speaking the OpenAI Responses API (streamed). Codex
// writes a file with its freeform apply_patch tool, runs a command with exec_command and answers;
// the workspace, the mapped transcript, what the upstream saw and what the gateway metered are
// checked. A second run shows a Codex that is not installed failing with the reason.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseTranscriptLine } from '@paddock/core';
import {
  bwrapSkipReason,
  type RecordedRequest,
  type ScriptedLlm,
  type ScriptedTurn,
  startScriptedLlm,
} from '@paddock/testkit';
import { finishedRun, runTranscript } from './run-test-support.ts';
import { API, startTestServer, type TestServer } from './test-server.ts';

const PROVIDER_KEY = 'sk-openai-real-provider-key-that-must-stay-on-the-host';
// A model in Codex's own catalog, so it offers its apply_patch tool (as a freeform tool).
const MODEL = 'gpt-5.5';
const USAGE = { inputTokens: 1_000, outputTokens: 50 };

type InputItem = { type?: string; output?: unknown };

/** The outputs of the tool calls Codex sent back, in order (function and freeform tools). */
function toolOutputs(request: RecordedRequest): string[] {
  const input = (request.body as { input?: InputItem[] }).input ?? [];
  return input
    .filter(
      (item) => item.type === 'function_call_output' || item.type === 'custom_tool_call_output',
    )
    .map((item) => (typeof item.output === 'string' ? item.output : JSON.stringify(item.output)));
}

const PATCH =
  '*** Begin Patch\n*** Add File: /workspace/hello.txt\n+hello from codex\n*** End Patch\n';

/** The scripted model: write a file, run a command, then finish on what the command printed. */
function play(request: RecordedRequest): ScriptedTurn {
  const outputs = toolOutputs(request);
  switch (outputs.length) {
    case 0:
      return {
        thinking: 'The file first.',
        text: 'I will write the file.',
        toolCalls: [{ name: 'apply_patch', input: PATCH }],
        usage: USAGE,
      };
    case 1:
      return {
        toolCalls: [
          {
            name: 'exec_command',
            input: {
              cmd: 'cat /workspace/hello.txt && echo RUN-OK > /workspace/ran.txt && echo CMD-OK; env | grep -q real-provider-key && echo KEY-LEAKED || echo NO-KEY-IN-ENV',
            },
          },
        ],
        usage: USAGE,
      };
    default: {
      const last = outputs.at(-1) ?? '';
      const isOk = last.includes('CMD-OK') && last.includes('NO-KEY-IN-ENV');
      return { text: isOk ? 'All done.' : `unexpected: ${last}`, usage: USAGE };
    }
  }
}

describe('runs with the codex harness', { skip: bwrapSkipReason(), timeout: 240_000 }, () => {
  let llm: ScriptedLlm;
  let server: TestServer;

  before(async () => {
    llm = await startScriptedLlm({ requireKey: PROVIDER_KEY, script: play });
    server = await startTestServer(
      { 'openai-base-url': `${llm.url}/v1` },
      { OPENAI_API_KEY: PROVIDER_KEY },
    );
  });

  after(async () => {
    await server?.close();
    await llm?.close();
  });

  const startRun = async (name: string, agent: Record<string, unknown>) => {
    const created = await server.call('/api/v1/namespaces/default/runs', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Run',
        metadata: { name },
        spec: { agent, prompt: 'write hello.txt, then check it with a command' },
      }),
    });
    assert.equal(created.status, 201, await created.clone().text());
  };

  it('runs the real Codex in a sandbox through the gateway and maps its transcript', async () => {
    await startRun('codex', {
      harness: { kind: 'codex' },
      provider: 'openai',
      model: MODEL,
      systemPrompt: 'House rule: answer like a lighthouse keeper.',
    });
    const run = await finishedRun(server, 'codex', 'default', 180_000);
    const events = await runTranscript(server, 'codex');
    const summary = JSON.stringify(events.map((e) => [e.type, e.message ?? e.name ?? '']));
    assert.equal(run.status.phase, 'Succeeded', `${run.status.message}\n${summary}`);
    assert.equal(run.status.result.text, 'All done.');
    for (const event of events) parseTranscriptLine(JSON.stringify(event));

    const own = events.filter((e) => e.type !== 'llm.call');
    assert.equal(own[0]?.type, 'run.started');
    assert.equal(own[0]?.harness, 'codex');
    assert.equal(own[0]?.model, MODEL);
    assert.equal(own.at(-1)?.type, 'run.finished');
    assert.equal(own.at(-1)?.outcome, 'succeeded');
    assert.deepEqual(
      events.filter((e) => e.type === 'message.user').map((e) => e.text),
      ['write hello.txt, then check it with a command'],
    );
    assert.ok(events.some((e) => e.type === 'thinking' && e.text === 'The file first.'));
    assert.deepEqual(
      events.filter((e) => e.type === 'tool.call').map((e) => e.name),
      ['apply_patch', 'shell'],
    );
    const results = events.filter((e) => e.type === 'tool.result');
    assert.deepEqual(
      results.map((e) => [e.name, e.isError]),
      [
        ['apply_patch', false],
        ['shell', false],
      ],
    );
    assert.equal(results[0]?.output, 'add /workspace/hello.txt');
    assert.match(String(results[1]?.output), /hello from codex\nCMD-OK\nNO-KEY-IN-ENV/);
    assert.ok(events.some((e) => e.type === 'message.assistant' && e.text === 'All done.'));

    // The file and the command's effect are in the sandbox's workspace.
    const read = (path: string) =>
      server.call(
        `/api/v1/namespaces/default/sandboxes/${run.status.sandboxName}/files?path=${path}`,
      );
    assert.equal(await (await read('/workspace/hello.txt')).text(), 'hello from codex\n');
    assert.equal(await (await read('/workspace/ran.txt')).text(), 'RUN-OK\n');

    // Upstream: three streamed Responses API calls, each with the real key, never the run's
    // token; the agent's system prompt reached Codex as developer instructions.
    assert.equal(llm.requests.length, 3);
    for (const request of llm.requests) {
      assert.equal(request.path, '/v1/responses');
      assert.equal(request.isStream, true);
      assert.equal(request.model, MODEL);
      assert.equal(request.headers.authorization, `Bearer ${PROVIDER_KEY}`);
      assert.ok(!JSON.stringify(request.headers).includes('pgt_'));
    }
    assert.match(JSON.stringify(llm.requests[0]?.body), /answer like a lighthouse keeper/);
    const tools = (llm.requests[0]?.body as { tools: Array<{ type: string; name?: string }> })
      .tools;
    assert.ok(tools.some((tool) => tool.type === 'custom' && tool.name === 'apply_patch'));

    // The gateway metered each call from its response.completed usage.
    const calls = events.filter((e) => e.type === 'llm.call');
    assert.equal(calls.length, 3);
    for (const call of calls) {
      assert.equal(call.provider, 'openai');
      assert.equal(call.model, MODEL);
      assert.equal(call.status, 200);
      assert.equal(call.inputTokens, USAGE.inputTokens);
      assert.equal(call.outputTokens, USAGE.outputTokens);
      assert.ok(Number(call.costUsd) > 0);
    }
    assert.equal(run.status.usage.inputTokens, 3 * USAGE.inputTokens);
    assert.equal(run.status.usage.toolCalls, 2);
  });

  it('fails a run whose Codex is not installed, saying so', async () => {
    const before = llm.requests.length;
    // The agent names its own Codex build (PADDOCK_CODEX_BIN, delivered as env), which is not
    // in the sandbox: as a run on a cluster whose harness copy left Codex out.
    const credential = await server.call('/api/v1/namespaces/default/credentials', {
      method: 'POST',
      body: JSON.stringify({ name: 'codex-bin', type: 'env', value: '/opt/no-such/codex' }),
    });
    assert.equal(credential.status, 201, await credential.text());
    await startRun('no-codex', {
      harness: { kind: 'codex' },
      provider: 'openai',
      model: MODEL,
      credentials: [{ name: 'codex-bin', as: 'env', env: 'PADDOCK_CODEX_BIN' }],
    });
    const run = await finishedRun(server, 'no-codex', 'default', 60_000);
    assert.equal(run.status.phase, 'Failed');
    assert.match(
      String(run.status.message),
      /the codex CLI is not installed: PADDOCK_CODEX_BIN names \/opt\/no-such\/codex/,
    );
    const events = await runTranscript(server, 'no-codex');
    assert.ok(events.some((e) => e.type === 'error' && e.code === 'runtime_unavailable'));
    assert.equal(llm.requests.length, before);
  });

  it('ends budget_exceeded when the gateway refuses a call over the run budget', async () => {
    // The first call costs more than the whole budget: the gateway refuses the second (402).
    await startRun('codex-budget', {
      harness: { kind: 'codex' },
      provider: 'openai',
      model: MODEL,
      budget: { maxUsd: 0.0001 },
    });
    const run = await finishedRun(server, 'codex-budget', 'default', 120_000);
    const events = await runTranscript(server, 'codex-budget');
    const summary = JSON.stringify(events.map((e) => [e.type, e.message ?? e.name ?? '']));
    assert.equal(run.status.phase, 'BudgetExceeded', `${run.status.message}\n${summary}`);
    assert.match(String(run.status.message), /budget/, summary);
    // The run controller ends the run at the gateway's first refusal, so whether Codex's own
    // report of the 402 reaches the transcript before the end is a race.
    const refused = events.filter((e) => e.type === 'llm.call' && e.status === 402);
    assert.ok(refused.length >= 1, summary);
  });
});
