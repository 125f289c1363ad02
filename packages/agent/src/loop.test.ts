// The loop's behaviour, through the real harness process and the scripted LLM: parallel tool
// calls, bad arguments, edit_file's must-match-once rule, the allowlist, retries, maxTurns.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { type LlmScript, startScriptedLlm } from '@paddock/testkit';
import { ofType, providerEnv, startAgent, tempWorkspace } from './test-support/agent-process.ts';

type Provider = 'anthropic' | 'openai';
const MODELS = { anthropic: 'claude-sonnet-4-6', openai: 'gpt-4o' } as const;

let workspace: Awaited<ReturnType<typeof tempWorkspace>>;
before(async () => {
  workspace = await tempWorkspace();
});
after(() => workspace.cleanup());

async function runTask(script: LlmScript, args: string[] = [], provider: Provider = 'anthropic') {
  const llm = await startScriptedLlm({ script });
  try {
    const agent = startAgent({
      cwd: workspace.dir,
      args: ['--provider', provider, '--model', MODELS[provider], '--prompt', 'go', ...args],
      env: providerEnv(provider, llm.url),
    });
    const done = await agent.exited;
    return { ...done, requests: llm.requests };
  } finally {
    await llm.close();
  }
}

/** The tool results a request sent back to the model, in order, in either API's shape. */
function toolResultsSent(body: unknown): Array<{ id: string; text: string }> {
  const messages = (
    body as { messages: Array<{ role: string; content: unknown; tool_call_id?: string }> }
  ).messages;
  const out: Array<{ id: string; text: string }> = [];
  for (const message of messages) {
    if (message.role === 'tool')
      out.push({ id: message.tool_call_id ?? '', text: String(message.content) });
    if (Array.isArray(message.content)) {
      for (const block of message.content as Array<{
        type: string;
        tool_use_id?: string;
        content?: unknown;
      }>) {
        if (block.type === 'tool_result')
          out.push({ id: block.tool_use_id ?? '', text: String(block.content) });
      }
    }
  }
  return out;
}

for (const provider of ['anthropic', 'openai'] as const) {
  test(`parallel tool calls run concurrently and return in order (${provider})`, async () => {
    // The first call waits for a file only the second call creates: run one after the other,
    // the first would time out.
    const { code, events, requests, stderr } = await runTask(
      [
        {
          toolCalls: [
            {
              id: 'call_wait',
              name: 'bash',
              input: {
                command: `while [ ! -f flag-${provider} ]; do sleep 0.02; done; echo saw-flag`,
                timeoutMs: 60_000,
              },
            },
            {
              id: 'call_touch',
              name: 'bash',
              input: { command: `touch flag-${provider}; echo touched` },
            },
          ],
        },
        { text: 'both done' },
      ],
      [],
      provider,
    );
    assert.equal(code, 0, stderr);
    const sent = toolResultsSent(requests[1]?.body);
    assert.deepEqual(
      sent.map((r) => r.id),
      ['call_wait', 'call_touch'],
    );
    assert.match(sent[0]?.text ?? '', /saw-flag\nexit code: 0/);
    assert.match(sent[1]?.text ?? '', /touched/);
    assert.equal(ofType(events, 'run.finished')[0]?.usage.toolCalls, 2);
  });
}

test('a bad tool argument becomes an error result naming the field, and the loop goes on', async () => {
  const { code, events, requests } = await runTask([
    { toolCalls: [{ id: 't1', name: 'read_file', input: { path: 42 } }] },
    { toolCalls: [{ id: 't2', name: 'bash', input: { command: 'echo hi', surprise: true } }] },
    { text: 'recovered' },
  ]);
  assert.equal(code, 0);
  const results = ofType(events, 'tool.result');
  assert.equal(results[0]?.isError, true);
  assert.match(results[0]?.output ?? '', /invalid arguments for read_file: path: /);
  assert.equal(results[1]?.isError, true);
  assert.match(results[1]?.output ?? '', /surprise/);
  assert.match(toolResultsSent(requests[1]?.body)[0]?.text ?? '', /path: /);
  assert.equal(ofType(events, 'run.finished')[0]?.result, 'recovered');
});

describe('edit_file', () => {
  test('must match exactly once: 0 and 2 matches are errors naming the count, 1 edits', async () => {
    await writeFile(`${workspace.dir}/e.txt`, 'alpha beta beta\n');
    const { code, events } = await runTask([
      {
        toolCalls: [
          { name: 'edit_file', input: { path: 'e.txt', old_string: 'gamma', new_string: 'x' } },
        ],
      },
      {
        toolCalls: [
          { name: 'edit_file', input: { path: 'e.txt', old_string: 'beta', new_string: 'x' } },
        ],
      },
      {
        toolCalls: [
          { name: 'edit_file', input: { path: 'e.txt', old_string: 'alpha', new_string: 'omega' } },
        ],
      },
      { toolCalls: [{ name: 'read_file', input: { path: 'e.txt' } }] },
      { text: 'edited' },
    ]);
    assert.equal(code, 0);
    const results = ofType(events, 'tool.result');
    assert.equal(results[0]?.isError, true);
    assert.match(results[0]?.output ?? '', /matched 0 times/);
    assert.equal(results[1]?.isError, true);
    assert.match(results[1]?.output ?? '', /matched 2 times/);
    assert.equal(results[2]?.isError, false);
    assert.equal(results[3]?.output, 'omega beta beta\n');
  });
});

test('the allowlist hides and refuses a tool it does not name', async () => {
  const { code, events, requests } = await runTask(
    [
      { toolCalls: [{ id: 'b1', name: 'bash', input: { command: 'echo should-not-run' } }] },
      { text: 'ok' },
    ],
    ['--tools', 'read_file,list_dir'],
  );
  assert.equal(code, 0);
  const offered = (requests[0]?.body as { tools: Array<{ name: string }> }).tools.map(
    (t) => t.name,
  );
  assert.deepEqual(offered, ['read_file', 'list_dir']);
  const result = ofType(events, 'tool.result')[0];
  assert.equal(result?.isError, true);
  assert.match(result?.output ?? '', /not allowed/);
  assert.doesNotMatch(result?.output ?? '', /should-not-run/);
});

test('an unknown tool name in the allowlist is a config error naming the entry (exit 2)', async () => {
  const { code, events, stderr } = await runTask([{ text: 'never' }], ['--tools', 'read_file,bsh']);
  assert.equal(code, 2);
  assert.match(stderr, /tools\[1\]: unknown tool "bsh"/);
  assert.equal(events.length, 0);
});

for (const provider of ['anthropic', 'openai'] as const) {
  test(`a 429 is retried and the run succeeds (${provider})`, async () => {
    const { code, events, requests } = await runTask(
      [
        { error: { status: 429, retryAfterSeconds: 0 } },
        { error: { status: 503 } },
        { text: 'after retries' },
      ],
      ['--max-retries', '2'],
      provider,
    );
    assert.equal(code, 0);
    assert.equal(requests.length, 3);
    assert.equal(ofType(events, 'run.finished')[0]?.result, 'after retries');
  });
}

test('retries are bounded by --max-retries: the run fails naming the status', async () => {
  const { code, events, requests } = await runTask(
    [
      { error: { status: 429, retryAfterSeconds: 0 } },
      { error: { status: 429, retryAfterSeconds: 0 } },
      { text: 'too late' },
    ],
    ['--max-retries', '1'],
  );
  assert.equal(code, 1);
  assert.equal(requests.length, 2);
  assert.equal(ofType(events, 'error')[0]?.code, 'rate_limited');
  const finished = ofType(events, 'run.finished')[0];
  assert.equal(finished?.outcome, 'failed');
});

test('maxTurns stops before the turn that would exceed it', async () => {
  const loop = { toolCalls: [{ name: 'list_dir', input: {} }] };
  const { code, events, requests } = await runTask([loop, loop, loop, loop], ['--max-turns', '2']);
  assert.equal(code, 3);
  assert.equal(requests.length, 2);
  const finished = ofType(events, 'run.finished')[0];
  assert.equal(finished?.outcome, 'budget_exceeded');
  assert.equal(finished?.limit, 'maxTurns');
  assert.equal(finished?.usage.turns, 2);
});

test('max_tokens: the model is asked once to continue, and the parts make the result', async () => {
  const { code, events, requests } = await runTask([
    { text: 'first half, ', stopReason: 'max_tokens' },
    { text: 'second half' },
  ]);
  assert.equal(code, 0);
  assert.match(JSON.stringify(requests[1]?.body), /cut off at the output token limit/);
  assert.equal(ofType(events, 'run.finished')[0]?.result, 'first half, second half');
});
