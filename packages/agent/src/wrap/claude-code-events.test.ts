// Claude Code's stream-json, as recorded from the pinned version, mapped line by line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TranscriptEvent, transcriptEvent } from '@paddock/core';
import { ClaudeCodeEvents } from './claude-code-events.ts';

const RECORDED = [
  '{"type":"system","subtype":"init","cwd":"/workspace","session_id":"74a2","tools":["Bash","Write"],"mcp_servers":[],"model":"claude-sonnet-4-5","permissionMode":"bypassPermissions","apiKeySource":"ANTHROPIC_API_KEY","claude_code_version":"2.1.112","uuid":"d0ff"}',
  '{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"thinking","thinking":"plan it","signature":"x"}],"stop_reason":null,"usage":{"input_tokens":100,"cache_creation_input_tokens":10,"cache_read_input_tokens":5,"output_tokens":1}},"parent_tool_use_id":null,"session_id":"74a2"}',
  '{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"tool_use","id":"toolu_1","name":"Write","input":{"file_path":"/workspace/a.txt","content":"hi\\n"}}],"stop_reason":null,"usage":{"input_tokens":100,"cache_creation_input_tokens":10,"cache_read_input_tokens":5,"output_tokens":20}},"parent_tool_use_id":null,"session_id":"74a2"}',
  '{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":"File created successfully at: /workspace/a.txt"}]},"parent_tool_use_id":null,"session_id":"74a2","tool_use_result":{"type":"create"}}',
  '{"type":"assistant","message":{"id":"msg_2","content":[{"type":"text","text":"Done."}],"stop_reason":"end_turn","usage":{"input_tokens":200,"output_tokens":3}},"parent_tool_use_id":null,"session_id":"74a2"}',
  '{"type":"result","subtype":"success","is_error":false,"duration_ms":218,"num_turns":2,"result":"Done.","session_id":"74a2","total_cost_usd":0.15,"usage":{"input_tokens":300,"cache_creation_input_tokens":10,"cache_read_input_tokens":5,"output_tokens":23}}',
];

function mapAll(mapper: ClaudeCodeEvents, lines: readonly string[]) {
  const events = lines.flatMap((line) => mapper.mapLine(line));
  // Every mapped event is a valid transcript event once stamped.
  for (const event of events) TranscriptEvent.parse(transcriptEvent(event, new Date()));
  return events;
}

describe('ClaudeCodeEvents', () => {
  it('maps a recorded run: start, thinking, tool call and result, text, usage, success', () => {
    const mapper = new ClaudeCodeEvents();
    const events = mapAll(mapper, RECORDED);
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'run.started',
        'log',
        'thinking',
        'tool.call',
        'tool.result',
        'usage',
        'message.assistant',
        'usage',
      ],
    );
    assert.deepEqual(events[0], {
      type: 'run.started',
      harness: 'claude-code',
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      mode: 'task',
    });
    assert.deepEqual(events[3], {
      type: 'tool.call',
      id: 'toolu_1',
      name: 'Write',
      input: { file_path: '/workspace/a.txt', content: 'hi\n' },
    });
    assert.deepEqual(events[4], {
      type: 'tool.result',
      id: 'toolu_1',
      name: 'Write',
      output: 'File created successfully at: /workspace/a.txt',
      isError: false,
    });
    // A response's usage counts once although Claude Code repeats it on each block.
    assert.deepEqual(events[5], {
      type: 'usage',
      usage: { inputTokens: 115, outputTokens: 20, costUsd: 0, turns: 1, toolCalls: 1 },
    });
    assert.deepEqual(events[6], {
      type: 'message.assistant',
      text: 'Done.',
      stopReason: 'end_turn',
    });
    const usage = { inputTokens: 315, outputTokens: 23, costUsd: 0.15, turns: 2, toolCalls: 1 };
    assert.deepEqual(events[7], { type: 'usage', usage });
    assert.deepEqual(mapper.finish({ code: 0, signal: null }), {
      outcome: 'succeeded',
      result: 'Done.',
      usage,
    });
  });

  it('maps tool results given as content blocks, and errors', () => {
    const mapper = new ClaudeCodeEvents();
    mapAll(mapper, [RECORDED[2] ?? '']);
    const [result] = mapAll(mapper, [
      '{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","is_error":true,"content":[{"type":"text","text":"denied"},{"type":"image","source":{}}]}]}}',
    ]);
    assert.deepEqual(result, {
      type: 'tool.result',
      id: 'toolu_1',
      name: 'Write',
      output: 'denied\n[image]',
      isError: true,
    });
  });

  it('keeps what it does not know as logs, and non-JSON lines as info logs', () => {
    const events = mapAll(new ClaudeCodeEvents(), [
      'Warning: something odd',
      '{"type":"rate_limit_event","info":{}}',
      '{"type":"system","subtype":"api_retry","attempt":1}',
      '{"type":"assistant","message":{"id":"m","content":[{"type":"server_tool_use","id":"s"}]}}',
      '',
    ]);
    assert.deepEqual(
      events.map((e) => [e.type, 'level' in e ? e.level : '']),
      [
        ['log', 'info'],
        ['log', 'debug'],
        ['log', 'warn'],
        ['log', 'debug'],
      ],
    );
    const unknown = events[1];
    assert.deepEqual(unknown && 'raw' in unknown ? unknown.raw : undefined, {
      type: 'rate_limit_event',
      info: {},
    });
  });

  it('maps text deltas of partial messages', () => {
    const events = mapAll(new ClaudeCodeEvents(), [
      '{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}}',
      '{"type":"stream_event","event":{"type":"message_start","message":{}}}',
    ]);
    assert.deepEqual(events, [{ type: 'message.delta', text: 'Hel' }]);
  });

  it('sums the results of an interactive run, one per answer; the last one ends the run', () => {
    const mapper = new ClaudeCodeEvents();
    mapAll(mapper, [
      '{"type":"result","subtype":"success","is_error":false,"num_turns":1,"result":"one","total_cost_usd":0.1,"usage":{"input_tokens":100,"output_tokens":10}}',
      '{"type":"result","subtype":"success","is_error":false,"num_turns":2,"result":"two","total_cost_usd":0.3,"usage":{"input_tokens":200,"output_tokens":20}}',
    ]);
    const usage = { inputTokens: 300, outputTokens: 30, costUsd: 0.3, turns: 3, toolCalls: 0 };
    assert.deepEqual(mapper.usage, usage);
    assert.deepEqual(mapper.finish({ code: 0, signal: null }), {
      outcome: 'succeeded',
      result: 'two',
      usage,
    });
  });

  it('maps how a run ends: max turns, spending limit, errors, the gateway budget, no result', () => {
    const end = (line: string, code = 1) => {
      const mapper = new ClaudeCodeEvents();
      mapper.mapLine(line);
      const { usage: _usage, ...rest } = mapper.finish({ code, signal: null });
      return rest;
    };
    assert.deepEqual(
      end('{"type":"result","subtype":"error_max_turns","is_error":true,"num_turns":3}'),
      {
        outcome: 'budget_exceeded',
        limit: 'maxTurns',
        message: 'claude-code stopped at its maximum number of turns',
      },
    );
    assert.equal(
      end('{"type":"result","subtype":"error_max_budget_usd","is_error":true}').limit,
      'maxUsd',
    );
    assert.deepEqual(
      end('{"type":"result","subtype":"success","is_error":true,"result":"API Error: 500 boom"}'),
      { outcome: 'failed', message: 'API Error: 500 boom' },
    );
    assert.equal(
      end(
        '{"type":"result","subtype":"success","is_error":true,"result":"API Error: 402 {\\"type\\":\\"error\\",\\"error\\":{\\"type\\":\\"budget_exceeded\\"}}"}',
      ).outcome,
      'budget_exceeded',
    );
    assert.deepEqual(end('not json', 137), {
      outcome: 'failed',
      message: 'claude-code ended (exit code 137) without a result',
    });
  });
});
