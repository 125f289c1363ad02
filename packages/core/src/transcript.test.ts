import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPaddockError } from './errors.ts';
import {
  addUsage,
  EMPTY_USAGE,
  parseTranscriptLine,
  RunOutcome,
  TRANSCRIPT_VERSION,
  TranscriptEventType,
  transcriptEvent,
} from './transcript.ts';

const now = new Date('2026-11-23T10:00:00.000Z');

function issuesOf(line: string): Array<{ path: string; message: string }> {
  try {
    parseTranscriptLine(line);
  } catch (error) {
    assert.ok(isPaddockError(error));
    assert.equal(error.code, 'validation_failed');
    return (error.details as { issues: Array<{ path: string; message: string }> }).issues;
  }
  assert.fail('expected the line to be refused');
}

describe('transcript events', () => {
  it('round-trips every event a harness writes through JSON Lines', () => {
    const events = [
      transcriptEvent(
        { type: TranscriptEventType.RunStarted, harness: 'builtin', model: 'm' },
        now,
      ),
      transcriptEvent({ type: TranscriptEventType.UserMessage, text: 'hi' }, now),
      transcriptEvent(
        { type: TranscriptEventType.ToolCall, id: 't1', name: 'bash', input: { command: 'ls' } },
        now,
      ),
      transcriptEvent(
        {
          type: TranscriptEventType.ToolResult,
          id: 't1',
          name: 'bash',
          output: 'a\n',
          isError: false,
        },
        now,
      ),
      transcriptEvent(
        {
          type: TranscriptEventType.RunFinished,
          outcome: RunOutcome.BudgetExceeded,
          limit: 'maxTurns',
          usage: { ...EMPTY_USAGE, turns: 3 },
        },
        now,
      ),
    ];
    for (const event of events) {
      assert.deepEqual(parseTranscriptLine(JSON.stringify(event)), event);
      assert.equal(event.v, TRANSCRIPT_VERSION);
      assert.equal(event.ts, now.toISOString());
    }
  });

  it('refuses a version it does not know, naming it', () => {
    const line = JSON.stringify({ v: 2, ts: now.toISOString(), type: 'message.user', text: 'x' });
    assert.deepEqual(issuesOf(line), [{ path: 'v', message: 'unsupported version 2' }]);
  });

  it('names the bad field of a known event and refuses unknown types and non-JSON', () => {
    const bad = {
      v: 1,
      ts: now.toISOString(),
      type: 'tool.result',
      id: 't',
      name: 'bash',
      output: 1,
      isError: false,
    };
    assert.deepEqual(
      issuesOf(JSON.stringify(bad)).map((i) => i.path),
      ['output'],
    );
    assert.equal(issuesOf(JSON.stringify({ v: 1, ts: now.toISOString(), type: 'nope' })).length, 1);
    assert.deepEqual(issuesOf('{not json'), [{ path: '', message: 'not JSON' }]);
  });

  it('adds usages field by field', () => {
    const a = { inputTokens: 1, outputTokens: 2, costUsd: 0.5, turns: 1, toolCalls: 3 };
    assert.deepEqual(addUsage(a, a), {
      inputTokens: 2,
      outputTokens: 4,
      costUsd: 1,
      turns: 2,
      toolCalls: 6,
    });
    assert.deepEqual(addUsage(EMPTY_USAGE, a), a);
  });
});
