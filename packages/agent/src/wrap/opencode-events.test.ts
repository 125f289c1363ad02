// OpenCode's `run --format json` lines mapped line by line: recorded runs of the real OpenCode
// 1.18.33 (fixtures/, its workspace path and the gateway's address replaced), and hand-written
// lines for what those runs did not produce.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TranscriptEvent, transcriptEvent } from '@paddock/core';
import { OpenCodeEvents } from './opencode-events.ts';

function fixture(name: string): string[] {
  const text = readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
  return text.split('\n').filter((line) => line !== '');
}

function mapAll(mapper: OpenCodeEvents, lines: readonly string[]) {
  const events = lines.flatMap((line) => mapper.mapLine(line));
  for (const event of events) TranscriptEvent.parse(transcriptEvent(event, new Date()));
  return events;
}

describe('OpenCodeEvents', () => {
  it('maps a real run: start, a write, a command, steps with usage, the answer, success', () => {
    const mapper = new OpenCodeEvents();
    const events = mapAll(mapper, fixture('opencode-1.18.33-task.jsonl'));
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'run.started',
        'log',
        'message.assistant',
        'tool.call',
        'tool.result',
        'usage',
        'tool.call',
        'tool.result',
        'usage',
        'message.assistant',
        'usage',
      ],
    );
    assert.deepEqual(events[3], {
      type: 'tool.call',
      id: 'toolu_VYIugrJ13FHn4yzBLJ1Eh0mK',
      name: 'write',
      input: { filePath: '/workspace/hello.txt', content: 'hello from opencode\n' },
    });
    assert.deepEqual(events[4], {
      type: 'tool.result',
      id: 'toolu_VYIugrJ13FHn4yzBLJ1Eh0mK',
      name: 'write',
      output: 'Wrote file successfully.',
      isError: false,
      durationMs: 54,
    });
    assert.deepEqual(events[7], {
      type: 'tool.result',
      id: 'toolu_ys3qrF4bXxzczRhnRNSlaASz',
      name: 'bash',
      output: 'hello from opencode\nRUN-OK\n',
      isError: false,
      durationMs: 419,
    });
    const last = events.at(-1);
    assert.equal(last?.type, 'usage');
    const usage = last?.type === 'usage' ? last.usage : undefined;
    assert.deepEqual(usage && { ...usage, costUsd: Math.round(usage.costUsd * 1e6) / 1e6 }, {
      inputTokens: 23084,
      outputTokens: 53,
      costUsd: 0.070047,
      turns: 3,
      toolCalls: 2,
    });
    const finish = mapper.finish({ code: 0, signal: null });
    assert.equal(finish.outcome, 'succeeded');
    assert.equal(finish.result, 'All done.');
    assert.equal(mapper.sessionId, 'ses_db206ea80ffeqGjPhugWwRM2IA');
  });

  it('maps a real failed run: the provider error is the reason', () => {
    const mapper = new OpenCodeEvents();
    const events = mapAll(mapper, fixture('opencode-1.18.33-failed.jsonl'));
    assert.deepEqual(events, [
      { type: 'error', code: 'APIError', message: 'scripted: bad request for the fixture' },
    ]);
    const finish = mapper.finish({ code: 1, signal: null });
    assert.equal(finish.outcome, 'failed');
    assert.equal(finish.message, 'scripted: bad request for the fixture');
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
