// The real OpenCode (the pinned opencode-ai package's binary) as a run's harness, end to end: a
// real server, a real sandbox with no network but the gateway, `paddock-agent wrap opencode`
// inside it, and a scripted Anthropic-compatible model behind the gateway. OpenCode writes a file
// with its write tool, runs a command with its bash tool and answers; the workspace, the mapped
// transcript, what the upstream saw and what the gateway metered are checked. The run is
// interactive: a later message through the run's message API continues OpenCode's session in a
// second process, and the model sees the whole conversation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseTranscriptLine } from '@paddock/core';
import {
  bwrapSkipReason,
  eventually,
  type RecordedRequest,
  type ScriptedLlm,
  type ScriptedTurn,
  startScriptedLlm,
} from '@paddock/testkit';
import { finishedRun, runTranscript } from './run-test-support.ts';
import { API, startTestServer, type TestServer } from './test-server.ts';

const PROVIDER_KEY = 'sk-ant-real-provider-key-that-must-stay-on-the-host';
const MODEL = 'claude-sonnet-4-5';
const USAGE = { inputTokens: 2_000, outputTokens: 40 };

type Block = { type?: string; content?: unknown };
type Message = { role: string; content: string | Block[] };

function toolResults(request: RecordedRequest): string[] {
  const messages = (request.body as { messages: Message[] }).messages;
  return messages.flatMap((message) =>
    typeof message.content === 'string'
      ? []
      : message.content
          .filter((block) => block.type === 'tool_result')
          .map((block) =>
            typeof block.content === 'string' ? block.content : JSON.stringify(block.content),
          ),
  );
}

/** OpenCode's agent loop offers its tools; a call without tools is a side call (the title). */
function isAgentTurn(request: RecordedRequest): boolean {
  return ((request.body as { tools?: unknown[] }).tools ?? []).length > 0;
}

const LATER = 'and now say bye';

/** Whether the last message is the user's later one (not a tool result). */
function isLaterMessage(request: RecordedRequest): boolean {
  const last = (request.body as { messages: Message[] }).messages.at(-1);
  return last?.role === 'user' && JSON.stringify(last.content).includes(LATER);
}

/**
 * The scripted model: write a file, run a command, then finish on what the command printed; to
 * the later message, say bye.
 */
function play(request: RecordedRequest): ScriptedTurn {
  if (!isAgentTurn(request)) return { text: 'Hello file', usage: USAGE };
  if (isLaterMessage(request)) return { text: 'Bye.', usage: USAGE };
  const results = toolResults(request);
  switch (results.length) {
    case 0:
      return {
        text: 'I will write the file.',
        toolCalls: [
          {
            name: 'write',
            input: { filePath: '/workspace/hello.txt', content: 'hello from opencode\n' },
          },
        ],
        usage: USAGE,
      };
    case 1:
      return {
        toolCalls: [
          {
            name: 'bash',
            input: {
              command:
                'cat /workspace/hello.txt && echo RUN-OK > /workspace/ran.txt && echo CMD-OK; env | grep -q real-provider-key && echo KEY-LEAKED || echo NO-KEY-IN-ENV',
              description: 'check the file',
            },
          },
        ],
        usage: USAGE,
      };
    default: {
      const last = results.at(-1) ?? '';
      const isOk = last.includes('CMD-OK') && last.includes('NO-KEY-IN-ENV');
      return { text: isOk ? 'All done.' : `unexpected: ${last}`, usage: USAGE };
    }
  }
}

describe('runs with the opencode harness', { skip: bwrapSkipReason(), timeout: 240_000 }, () => {
  let llm: ScriptedLlm;
  let server: TestServer;

  before(async () => {
    llm = await startScriptedLlm({ requireKey: PROVIDER_KEY, script: play });
    server = await startTestServer(
      { 'anthropic-base-url': llm.url },
      { ANTHROPIC_API_KEY: PROVIDER_KEY },
    );
  });

  after(async () => {
    await server?.close();
    await llm?.close();
  });

  it('runs the real OpenCode in a sandbox through the gateway and maps its transcript', async () => {
    const base = '/api/v1/namespaces/default/runs';
    const created = await server.call(base, {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Run',
        metadata: { name: 'opencode' },
        spec: {
          agent: {
            harness: { kind: 'opencode' },
            provider: 'anthropic',
            model: MODEL,
            systemPrompt: 'House rule: answer like a lighthouse keeper.',
          },
          prompt: 'write hello.txt, then check it with a command',
          mode: 'interactive',
        },
      }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const answered = (text: string) =>
      eventually(
        async () => {
          const events = await runTranscript(server, 'opencode');
          const summary = JSON.stringify(events.map((e) => [e.type, e.message ?? e.name ?? '']));
          assert.ok(
            events.some((e) => e.type === 'message.assistant' && e.text === text),
            `no "${text}" yet: ${summary}`,
          );
          return true;
        },
        { timeoutMs: 150_000, what: `the answer "${text}"` },
      );
    await answered('All done.');
    const sent = await server.call(`${base}/opencode/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: LATER }),
    });
    assert.equal(sent.status, 202, await sent.clone().text());
    await answered('Bye.');
    const ended = await server.call(`${base}/opencode/end`, { method: 'POST' });
    assert.equal(ended.status, 202, await ended.clone().text());

    const run = await finishedRun(server, 'opencode', 'default', 60_000);
    const events = await runTranscript(server, 'opencode');
    const summary = JSON.stringify(events.map((e) => [e.type, e.message ?? e.name ?? '']));
    assert.equal(run.status.phase, 'Succeeded', `${run.status.message}\n${summary}`);
    assert.equal(run.status.result.text, 'Bye.');
    for (const event of events) parseTranscriptLine(JSON.stringify(event));

    const own = events.filter((e) => e.type !== 'llm.call');
    assert.equal(own[0]?.type, 'run.started');
    assert.equal(own[0]?.harness, 'opencode');
    assert.equal(own[0]?.provider, 'anthropic');
    assert.equal(own[0]?.mode, 'interactive');
    assert.equal(own.filter((e) => e.type === 'run.started').length, 1);
    assert.deepEqual(
      events.filter((e) => e.type === 'message.user').map((e) => e.text),
      ['write hello.txt, then check it with a command', LATER],
    );
    assert.equal(own.at(-1)?.type, 'run.finished');
    assert.equal(own.at(-1)?.outcome, 'succeeded');
    assert.deepEqual(
      events.filter((e) => e.type === 'tool.call').map((e) => e.name),
      ['write', 'bash'],
    );
    const results = events.filter((e) => e.type === 'tool.result');
    assert.deepEqual(
      results.map((e) => [e.name, e.isError]),
      [
        ['write', false],
        ['bash', false],
      ],
    );
    assert.match(String(results[1]?.output), /hello from opencode\nCMD-OK\nNO-KEY-IN-ENV/);
    assert.ok(events.some((e) => e.type === 'message.assistant' && e.text === 'All done.'));

    // The file and the command's effect are in the sandbox's workspace.
    const read = (path: string) =>
      server.call(
        `/api/v1/namespaces/default/sandboxes/${run.status.sandboxName}/files?path=${path}`,
      );
    assert.equal(await (await read('/workspace/hello.txt')).text(), 'hello from opencode\n');
    assert.equal(await (await read('/workspace/ran.txt')).text(), 'RUN-OK\n');

    // Upstream: Anthropic Messages calls with the real key, never the run's token; the agent's
    // three turns are there (OpenCode adds a side call for the session's title), and the agent's
    // system prompt reached the model (OpenCode's instructions file).
    for (const request of llm.requests) {
      assert.equal(request.path, '/v1/messages');
      assert.equal(request.headers['x-api-key'], PROVIDER_KEY);
      assert.ok(!JSON.stringify(request.headers).includes('pgt_'));
    }
    const turns = llm.requests.filter(isAgentTurn);
    assert.equal(turns.length, 4);
    assert.ok(turns.every((request) => request.model === MODEL));
    assert.match(JSON.stringify(turns[0]?.body), /answer like a lighthouse keeper/);
    // The second process continued the session: the model saw the first exchange too.
    const later = JSON.stringify(turns[3]?.body);
    assert.match(later, /All done\./);
    assert.match(later, /hello from opencode/);

    // The gateway metered every call, side calls included.
    const calls = events.filter((e) => e.type === 'llm.call');
    assert.equal(calls.length, llm.requests.length);
    for (const call of calls) {
      assert.equal(call.provider, 'anthropic');
      assert.equal(call.status, 200);
      assert.equal(call.inputTokens, USAGE.inputTokens);
      assert.equal(call.outputTokens, USAGE.outputTokens);
    }
    assert.equal(run.status.usage.toolCalls, 2);
    assert.equal(run.status.usage.turns, 4);
  });
});
