// The real Claude Code as a run's harness, end to end: a real server, a real sandbox with no
// network but the gateway, `paddock-agent wrap claude-code` inside it, and a scripted
// Anthropic-compatible model behind the gateway. Claude Code writes a file with its Write tool,
// runs a command with its Bash tool and finishes; the mapped transcript, the workspace and what
// the upstream saw are checked.
// An interactive run takes a user message mid-run through the run's message API: it reaches
// Claude Code (stream-json on its stdin) and the model sees it.
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
import { finishedRun, runTranscript, type StoredEvent } from './run-test-support.ts';
import { API, startTestServer, type TestServer } from './test-server.ts';

const PROVIDER_KEY = 'sk-ant-real-provider-key-that-must-stay-on-the-host';
const MODEL = 'claude-sonnet-4-5';

type Block = { type?: string; content?: unknown; text?: string };
type Message = { role: string; content: string | Block[] };

function messagesOf(request: RecordedRequest): Message[] {
  return (request.body as { messages: Message[] }).messages;
}

function toolResults(request: RecordedRequest): string[] {
  return messagesOf(request).flatMap((message) =>
    typeof message.content === 'string'
      ? []
      : message.content
          .filter((block) => block.type === 'tool_result')
          .map((block) =>
            typeof block.content === 'string' ? block.content : JSON.stringify(block.content),
          ),
  );
}

/** Claude Code's agent loop calls the chosen model with its tools; anything else is a side call. */
function isAgentTurn(request: RecordedRequest): boolean {
  const tools = (request.body as { tools?: unknown[] }).tools ?? [];
  return request.model === MODEL && tools.length > 0;
}

/** What the user wrote last (Claude Code wraps its own `<system-reminder>` blocks around it). */
function lastUserText(request: RecordedRequest): string {
  const texts = messagesOf(request)
    .filter((message) => message.role === 'user')
    .flatMap((message) =>
      typeof message.content === 'string'
        ? [message.content]
        : message.content.map((block) => block.text ?? ''),
    )
    .filter((text) => text !== '' && !text.startsWith('<'));
  return texts.at(-1) ?? '';
}

const CHAT = 'let us chat';

/**
 * The scripted model: write a file, run a command, then finish on what the command printed; in a
 * chat (the interactive run), echo what the user wrote last.
 */
function play(request: RecordedRequest): ScriptedTurn {
  if (!isAgentTurn(request)) return { text: 'ok' };
  if (JSON.stringify(messagesOf(request)).includes(CHAT)) {
    return { text: `echo: ${lastUserText(request)}` };
  }
  const results = toolResults(request);
  switch (results.length) {
    case 0:
      return {
        text: 'I will write the file.',
        toolCalls: [
          {
            name: 'Write',
            input: { file_path: '/workspace/hello.txt', content: 'hello from claude code\n' },
          },
        ],
      };
    case 1:
      return {
        toolCalls: [
          {
            name: 'Bash',
            input: {
              command:
                'cat /workspace/hello.txt && echo BASH-OK; env | grep -q real-provider-key && echo KEY-LEAKED || echo NO-KEY-IN-ENV',
              description: 'check the file',
            },
          },
        ],
      };
    default: {
      const last = results.at(-1) ?? '';
      return {
        text:
          last.includes('BASH-OK') && last.includes('NO-KEY-IN-ENV')
            ? 'All done.'
            : `unexpected: ${last}`,
      };
    }
  }
}

describe('runs with the claude-code harness', { skip: bwrapSkipReason(), timeout: 240_000 }, () => {
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

  it('runs the real Claude Code in a sandbox through the gateway and maps its transcript', async () => {
    const created = await server.call('/api/v1/namespaces/default/runs', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Run',
        metadata: { name: 'claude' },
        spec: {
          agent: {
            harness: { kind: 'claude-code' },
            model: MODEL,
            systemPrompt: 'House rule: answer like a lighthouse keeper.',
            tools: ['Write', 'Bash'],
            budget: { maxTurns: 10 },
          },
          prompt: 'write hello.txt and check it',
        },
      }),
    });
    assert.equal(created.status, 201, await created.clone().text());

    const run = await finishedRun(server, 'claude', 'default', 180_000);
    const res = await server.call('/api/v1/namespaces/default/runs/claude/events');
    const events = ((await res.json()) as { items: StoredEvent[] }).items;
    const summary = JSON.stringify(events.map((e) => [e.type, e.message ?? e.name ?? '']));
    assert.equal(run.status.phase, 'Succeeded', `${run.status.message}\n${summary}`);
    assert.equal(run.status.result.text, 'All done.');

    for (const event of events) parseTranscriptLine(JSON.stringify(event));
    // The harness's first and last events. The gateway appends its llm.call records concurrently
    // with the pump, so one may land before run.started or after run.finished (issue 21 orders them).
    const own = events.filter((e) => e.type !== 'llm.call');
    assert.equal(own[0]?.type, 'run.started');
    assert.equal(own.at(-1)?.type, 'run.finished');
    assert.equal(own[0]?.harness, 'claude-code');
    const calls = events.filter((e) => e.type === 'tool.call').map((e) => e.name);
    assert.deepEqual(calls, ['Write', 'Bash']);
    const results = events.filter((e) => e.type === 'tool.result');
    assert.deepEqual(
      results.map((e) => [e.name, e.isError]),
      [
        ['Write', false],
        ['Bash', false],
      ],
    );
    assert.match(String(results[1]?.output), /hello from claude code\nBASH-OK\nNO-KEY-IN-ENV/);
    assert.ok(
      events.some((e) => e.type === 'message.assistant' && e.text === 'All done.'),
      summary,
    );
    assert.ok(events.some((e) => e.type === 'message.user'));
    assert.equal(events.find((e) => e.type === 'run.finished')?.outcome, 'succeeded');

    // The file is in the sandbox's workspace.
    const file = await server.call(
      `/api/v1/namespaces/default/sandboxes/${run.status.sandboxName}/files?path=/workspace/hello.txt`,
    );
    assert.equal(await file.text(), 'hello from claude code\n');

    // Upstream: only model calls, each with the real key and never the run's token; the three
    // turns of the agent loop are there (Claude Code may add side calls to a small model).
    assert.ok(llm.requests.length >= 3, `requests: ${llm.requests.length}`);
    for (const request of llm.requests) {
      assert.equal(request.path, '/v1/messages');
      assert.equal(request.headers['x-api-key'], PROVIDER_KEY);
      assert.ok(!JSON.stringify(request.headers).includes('pgt_'));
      assert.ok(!JSON.stringify(request.body).includes(PROVIDER_KEY));
    }
    const turns = llm.requests.filter(isAgentTurn);
    assert.equal(turns.length, 3);
    // The agent's system prompt and tool allowlist reached Claude Code.
    assert.match(JSON.stringify(turns[0]?.body), /answer like a lighthouse keeper/);
    const offered = ((turns[0]?.body as { tools?: Array<{ name: string }> }).tools ?? []).map(
      (t) => t.name,
    );
    assert.deepEqual(offered.sort(), ['Bash', 'Write']);
    const llmCalls = events.filter((e) => e.type === 'llm.call');
    assert.equal(llmCalls.length, llm.requests.length, 'the gateway recorded each call');
    assert.ok(run.status.usage.inputTokens > 0);
    assert.equal(run.status.usage.toolCalls, 2);
  });

  it('passes a user message to an interactive run mid-run; the model sees it', async () => {
    const base = '/api/v1/namespaces/default/runs';
    const created = await server.call(base, {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: API,
        kind: 'Run',
        metadata: { name: 'claude-chat' },
        spec: {
          agent: { harness: { kind: 'claude-code' }, model: MODEL, tools: ['Bash'] },
          prompt: CHAT,
          mode: 'interactive',
        },
      }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const answered = (text: string) =>
      eventually(
        async () => {
          const events = await runTranscript(server, 'claude-chat');
          assert.ok(
            events.some((e) => e.type === 'message.assistant' && e.text === text),
            `no "${text}" yet: ${JSON.stringify(events.map((e) => [e.type, e.text ?? e.message]))}`,
          );
          return true;
        },
        { timeoutMs: 90_000, what: `the answer "${text}"` },
      );
    await answered(`echo: ${CHAT}`);
    const before = llm.requests.length;

    const sent = await server.call(`${base}/claude-chat/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'and a second thing' }),
    });
    assert.equal(sent.status, 202, await sent.clone().text());
    await answered('echo: and a second thing');
    const ended = await server.call(`${base}/claude-chat/end`, { method: 'POST' });
    assert.equal(ended.status, 202, await ended.clone().text());

    const run = await finishedRun(server, 'claude-chat', 'default', 90_000);
    const events = await runTranscript(server, 'claude-chat');
    assert.equal(run.status.phase, 'Succeeded', run.status.message);
    assert.equal(run.status.result.text, 'echo: and a second thing');
    assert.equal(run.status.usage.turns, 2, 'one turn per answer, summed');
    const started = events.find((e) => e.type === 'run.started');
    assert.equal(started?.mode, 'interactive');
    assert.deepEqual(
      events.filter((e) => e.type === 'message.user').map((e) => e.text),
      [CHAT, 'and a second thing'],
    );
    // The model got the message after its first answer, in the same conversation.
    const later = llm.requests.slice(before).filter(isAgentTurn);
    assert.ok(later.length > 0);
    const seen = JSON.stringify(later[0]?.body);
    assert.match(seen, new RegExp(`echo: ${CHAT}`));
    assert.match(seen, /and a second thing/);
  });
});
