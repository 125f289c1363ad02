// OpenCode's `run --format json` lines (shapes from its run command) mapped line by line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TranscriptEvent, transcriptEvent } from '@paddock/core';
import { OpenCodeEvents } from './opencode-events.ts';

const SAMPLE = [
  '{"type":"step_start","timestamp":1767036059338,"sessionID":"ses_4947","part":{"id":"prt_1","sessionID":"ses_4947","messageID":"msg_1","type":"step-start","snapshot":"abc"}}',
  '{"type":"tool_use","timestamp":1767036060000,"sessionID":"ses_4947","part":{"id":"prt_2","sessionID":"ses_4947","messageID":"msg_1","type":"tool","callID":"call_1","tool":"bash","state":{"status":"completed","input":{"command":"ls"},"output":"a.txt\\n","title":"ls","metadata":{},"time":{"start":1767036059400,"end":1767036059450}}}}',
  '{"type":"step_finish","timestamp":1767036060100,"sessionID":"ses_4947","part":{"type":"step-finish","reason":"tool-calls","cost":0.01,"tokens":{"input":100,"output":20,"reasoning":5,"cache":{"read":50,"write":0}}}}',
  '{"type":"step_start","timestamp":1767036060200,"sessionID":"ses_4947","part":{"type":"step-start"}}',
  '{"type":"text","timestamp":1767036061000,"sessionID":"ses_4947","part":{"id":"prt_3","type":"text","text":"There is a.txt.","time":{"start":1,"end":2}}}',
  '{"type":"step_finish","timestamp":1767036061100,"sessionID":"ses_4947","part":{"type":"step-finish","reason":"stop","cost":0.02,"tokens":{"input":200,"output":10,"reasoning":0,"cache":{"read":0,"write":0}}}}',
];

function mapAll(mapper: OpenCodeEvents, lines: readonly string[]) {
  const events = lines.flatMap((line) => mapper.mapLine(line));
  for (const event of events) TranscriptEvent.parse(transcriptEvent(event, new Date()));
  return events;
}

describe('OpenCodeEvents', () => {
  it('maps a run: start, a tool, steps with usage, the answer, success', () => {
    const mapper = new OpenCodeEvents();
    const events = mapAll(mapper, SAMPLE);
    assert.deepEqual(
      events.map((e) => e.type),
      ['run.started', 'log', 'tool.call', 'tool.result', 'usage', 'message.assistant', 'usage'],
    );
    assert.deepEqual(events[2], {
      type: 'tool.call',
      id: 'call_1',
      name: 'bash',
      input: { command: 'ls' },
    });
    assert.deepEqual(events[3], {
      type: 'tool.result',
      id: 'call_1',
      name: 'bash',
      output: 'a.txt\n',
      isError: false,
      durationMs: 50,
    });
    const usage = { inputTokens: 350, outputTokens: 35, costUsd: 0.03, turns: 2, toolCalls: 1 };
    const last = events.at(-1);
    assert.equal(last?.type, 'usage');
    assert.deepEqual(
      last?.type === 'usage' && {
        ...last.usage,
        costUsd: Math.round(last.usage.costUsd * 100) / 100,
      },
      usage,
    );
    const finish = mapper.finish({ code: 0, signal: null });
    assert.equal(finish.outcome, 'succeeded');
    assert.equal(finish.result, 'There is a.txt.');
  });

  it('maps a failed tool and an error event; the error fails the run', () => {
    const mapper = new OpenCodeEvents();
    const events = mapAll(mapper, [
      '{"type":"tool_use","part":{"callID":"c","tool":"read","state":{"status":"error","input":{"filePath":"x"},"error":"no such file","time":{"start":1,"end":3}}}}',
      '{"type":"error","sessionID":"s","error":{"name":"ProviderAuthError","data":{"message":"bad key"}}}',
    ]);
    assert.equal(events[1]?.type === 'tool.result' && events[1].output, 'no such file');
    assert.equal(events[1]?.type === 'tool.result' && events[1].isError, true);
    assert.deepEqual(events[2], { type: 'error', code: 'ProviderAuthError', message: 'bad key' });
    assert.deepEqual(
      { ...mapper.finish({ code: 0, signal: null }), usage: undefined },
      { outcome: 'failed', message: 'bad key', usage: undefined },
    );
  });

  it('keeps unknown lines as logs and fails a non-zero exit', () => {
    const mapper = new OpenCodeEvents();
    assert.deepEqual(
      mapAll(mapper, ['oops', '{"type":"session.idle"}']).map((e) => e.type),
      ['log', 'log'],
    );
    assert.equal(
      mapper.finish({ code: null, signal: 'SIGKILL' }).message,
      'opencode failed (signal SIGKILL)',
    );
  });
});
