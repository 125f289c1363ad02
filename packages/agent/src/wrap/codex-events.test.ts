// Codex's `exec --json` lines (shapes from its documented JSONL schema) mapped line by line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TranscriptEvent, transcriptEvent } from '@paddock/core';
import { CodexEvents } from './codex-events.ts';

const SAMPLE = [
  '{"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}',
  '{"type":"turn.started"}',
  '{"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Looking at the repo**"}}',
  '{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"","exit_code":null,"status":"in_progress"}}',
  '{"type":"item.updated","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"a.txt","status":"in_progress"}}',
  '{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"a.txt\\n","exit_code":0,"status":"completed"}}',
  '{"type":"item.completed","item":{"id":"item_2","type":"file_change","changes":[{"path":"b.txt","kind":"add"}],"status":"completed"}}',
  '{"type":"item.completed","item":{"id":"item_3","type":"agent_message","text":"Added b.txt."}}',
  '{"type":"turn.completed","usage":{"input_tokens":1200,"cached_input_tokens":200,"output_tokens":345}}',
];

function mapAll(mapper: CodexEvents, lines: readonly string[]) {
  const events = lines.flatMap((line) => mapper.mapLine(line));
  for (const event of events) TranscriptEvent.parse(transcriptEvent(event, new Date()));
  return events;
}

describe('CodexEvents', () => {
  it('maps a run: start, reasoning, a command, a patch, the answer, usage, success', () => {
    const mapper = new CodexEvents();
    const events = mapAll(mapper, SAMPLE);
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'run.started',
        'log',
        'thinking',
        'tool.call',
        'tool.result',
        'tool.call',
        'tool.result',
        'message.assistant',
        'usage',
      ],
    );
    assert.deepEqual(events[3], {
      type: 'tool.call',
      id: 'item_1',
      name: 'shell',
      input: { command: 'bash -lc ls' },
    });
    assert.deepEqual(events[4], {
      type: 'tool.result',
      id: 'item_1',
      name: 'shell',
      output: 'a.txt\n',
      isError: false,
    });
    assert.deepEqual(events[6], {
      type: 'tool.result',
      id: 'item_2',
      name: 'apply_patch',
      output: 'add b.txt',
      isError: false,
    });
    const usage = { inputTokens: 1200, outputTokens: 345, costUsd: 0, turns: 1, toolCalls: 2 };
    assert.deepEqual(events[8], { type: 'usage', usage });
    assert.deepEqual(mapper.finish({ code: 0, signal: null }), {
      outcome: 'succeeded',
      result: 'Added b.txt.',
      usage,
    });
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
