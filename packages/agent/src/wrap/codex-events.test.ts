// Codex's `exec --json` lines mapped line by line: recorded runs of the real Codex 0.171.0
// (fixtures/, its workspace path replaced by /workspace), and hand-written lines for the items
// those runs did not produce.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TranscriptEvent, transcriptEvent } from '@paddock/core';
import { CodexEvents } from './codex-events.ts';

function fixture(name: string): string[] {
  const text = readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
  return text.split('\n').filter((line) => line !== '');
}

function mapAll(mapper: CodexEvents, lines: readonly string[]) {
  const events = lines.flatMap((line) => mapper.mapLine(line));
  for (const event of events) TranscriptEvent.parse(transcriptEvent(event, new Date()));
  return events;
}

describe('CodexEvents', () => {
  it('maps a real run: reasoning, a patch, a command, the answer, usage, success', () => {
    const mapper = new CodexEvents();
    const events = mapAll(mapper, fixture('codex-0.171.0-task.jsonl'));
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'run.started',
        'log',
        'thinking',
        'message.assistant',
        'tool.call',
        'tool.result',
        'tool.call',
        'tool.result',
        'message.assistant',
        'usage',
      ],
    );
    assert.deepEqual(events[2], { type: 'thinking', text: 'I should write the file first.' });
    assert.deepEqual(events[4], {
      type: 'tool.call',
      id: 'item_2',
      name: 'apply_patch',
      input: { changes: [{ path: '/workspace/hello.txt', kind: 'add' }] },
    });
    assert.deepEqual(events[5], {
      type: 'tool.result',
      id: 'item_2',
      name: 'apply_patch',
      output: 'add /workspace/hello.txt',
      isError: false,
    });
    assert.deepEqual(events[6], {
      type: 'tool.call',
      id: 'item_3',
      name: 'shell',
      input: { command: "/bin/bash -lc 'cat hello.txt && echo RUN-OK'" },
    });
    assert.deepEqual(events[7], {
      type: 'tool.result',
      id: 'item_3',
      name: 'shell',
      output: 'hello from codex\nRUN-OK\n',
      isError: false,
    });
    const usage = { inputTokens: 27908, outputTokens: 59, costUsd: 0, turns: 1, toolCalls: 2 };
    assert.deepEqual(events[9], { type: 'usage', usage });
    assert.deepEqual(mapper.finish({ code: 0, signal: null }), {
      outcome: 'succeeded',
      result: 'All done.',
      usage,
    });
  });

  it('maps a real failed run: its warnings as logs, the failed turn as the reason', () => {
    const mapper = new CodexEvents();
    const events = mapAll(mapper, fixture('codex-0.171.0-failed.jsonl'));
    assert.deepEqual(
      events.map((e) => [e.type, e.type === 'log' ? e.level : '']),
      [
        ['run.started', ''],
        ['log', 'info'],
        ['log', 'warn'],
        ['log', 'warn'],
        ['error', ''],
      ],
    );
    assert.match(String(events[2]?.type === 'log' && events[2].message), /Model metadata/);
    const finish = mapper.finish({ code: 1, signal: null });
    assert.equal(finish.outcome, 'failed');
    assert.match(String(finish.message), /scripted: bad request for the fixture/);
  });

  it('continues a resumed thread: no second run.started, usage as the thread totals', () => {
    const mapper = new CodexEvents();
    const turn = (text: string, input: number) => [
      '{"type":"thread.started","thread_id":"01a24e0d-8b3f-7582-8730-599748229220"}',
      '{"type":"turn.started"}',
      `{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"${text}"}}`,
      `{"type":"turn.completed","usage":{"input_tokens":${input},"cached_input_tokens":0,"output_tokens":3}}`,
    ];
    const events = mapAll(mapper, [...turn('echo: one', 9124), ...turn('echo: two', 18323)]);
    assert.deepEqual(
      events.map((e) => e.type),
      ['run.started', 'log', 'message.assistant', 'usage', 'message.assistant', 'usage'],
    );
    assert.equal(mapper.sessionId, '01a24e0d-8b3f-7582-8730-599748229220');
    assert.deepEqual(mapper.finish({ code: 0, signal: null }), {
      outcome: 'succeeded',
      result: 'echo: two',
      usage: { inputTokens: 18323, outputTokens: 3, costUsd: 0, turns: 2, toolCalls: 0 },
    });
  });

  it('ends budget_exceeded when the gateway refused a call over budget', () => {
    const mapper = new CodexEvents();
    mapAll(mapper, [
      '{"type":"turn.failed","error":{"message":"{\\"error\\":{\\"type\\":\\"budget_exceeded\\",\\"message\\":\\"over\\"}}"}}',
    ]);
    assert.equal(mapper.finish({ code: 1, signal: null }).outcome, 'budget_exceeded');
    // As Codex 0.171.0 reports the gateway's 402: the status and message, not the error's type.
    const reported = new CodexEvents();
    mapAll(reported, [
      '{"type":"turn.failed","error":{"message":"unexpected status 402 Payment Required: run budget exceeded: spent $0.0200 of $0.0001 (maxUsd), url: http://127.0.0.1:4000/v1/responses"}}',
    ]);
    const finished = reported.finish({ code: 1, signal: null });
    assert.equal(finished.outcome, 'budget_exceeded');
    assert.match(String(finished.message), /run budget exceeded/);
  });

  it('maps MCP calls and failed commands', () => {
    const events = mapAll(new CodexEvents(), [
      '{"type":"item.completed","item":{"id":"i1","type":"command_execution","command":"false","aggregated_output":"","exit_code":1,"status":"failed"}}',
      '{"type":"item.started","item":{"id":"i2","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"x"},"status":"in_progress"}}',
      '{"type":"item.completed","item":{"id":"i2","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"x"},"result":{"content":[{"type":"text","text":"found"}],"structured_content":null},"status":"completed"}}',
    ]);
    assert.deepEqual(
      events.map((e) => [e.type, 'isError' in e ? e.isError : undefined]),
      [
        ['tool.call', undefined],
        ['tool.result', true],
        ['tool.call', undefined],
        ['tool.result', false],
      ],
    );
    assert.equal(events[2]?.type === 'tool.call' && events[2].name, 'docs.search');
    assert.equal(events[3]?.type === 'tool.result' && events[3].output, 'found');
  });

  it('fails on turn.failed; a retry error alone does not fail a clean exit', () => {
    const failed = new CodexEvents();
    mapAll(failed, ['{"type":"turn.failed","error":{"message":"stream disconnected"}}']);
    assert.equal(failed.finish({ code: 1, signal: null }).message, 'stream disconnected');
    const retried = new CodexEvents();
    const events = mapAll(retried, [
      '{"type":"error","message":"Reconnecting... 1/5"}',
      '{"type":"item.completed","item":{"id":"m","type":"agent_message","text":"ok"}}',
    ]);
    assert.equal(events[0]?.type === 'log' && events[0].level, 'warn');
    assert.equal(retried.finish({ code: 0, signal: null }).outcome, 'succeeded');
    assert.match(
      String(new CodexEvents().finish({ code: 2, signal: null }).message),
      /exit code 2/,
    );
  });

  it('keeps unknown lines as logs', () => {
    const events = mapAll(new CodexEvents(), [
      'plain text',
      '{"type":"item.completed","item":{"id":"t","type":"todo_list","items":[]}}',
      '{"type":"something.new"}',
    ]);
    assert.deepEqual(
      events.map((e) => e.type),
      ['log', 'log', 'log'],
    );
  });
});
