// A plain command's stdout: transcript lines pass through, other lines are output.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { transcriptEvent } from '@paddock/core';
import { CommandEvents } from './command-events.ts';

const now = new Date('2026-01-01T00:00:00Z');
const line = (event: Parameters<typeof transcriptEvent>[0]) =>
  JSON.stringify(transcriptEvent(event, now));

describe('CommandEvents', () => {
  it('turns output lines into deltas and succeeds on exit 0 with the output as result', () => {
    const mapper = new CommandEvents();
    const events = ['hello', '', 'world'].flatMap((text) => mapper.mapLine(text));
    assert.deepEqual(events, [
      { type: 'message.delta', text: 'hello\n' },
      { type: 'message.delta', text: 'world\n' },
    ]);
    assert.deepEqual(mapper.finish({ code: 0, signal: null }), {
      outcome: 'succeeded',
      result: 'hello\n\nworld',
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, turns: 0, toolCalls: 0 },
    });
  });

  it('passes transcript events through and takes the last assistant text as result', () => {
    const mapper = new CommandEvents();
    const events = [
      line({ type: 'message.assistant', text: 'first' }),
      line({ type: 'tool.call', id: 'c1', name: 'bash', input: { command: 'ls' } }),
      line({ type: 'message.assistant', text: 'the answer' }),
      '{"type":"message.assistant"}',
    ].flatMap((text) => mapper.mapLine(text));
    assert.deepEqual(events, [
      { type: 'message.assistant', text: 'first' },
      { type: 'tool.call', id: 'c1', name: 'bash', input: { command: 'ls' } },
      { type: 'message.assistant', text: 'the answer' },
      { type: 'message.delta', text: '{"type":"message.assistant"}\n' },
    ]);
    assert.equal(mapper.finish({ code: 0, signal: null }).result, 'the answer');
  });

  it("honours the command's own run.finished, unless it claims success and exits non-zero", () => {
    const usage = { inputTokens: 5, outputTokens: 6, costUsd: 0.5, turns: 1, toolCalls: 0 };
    const budget = new CommandEvents();
    assert.deepEqual(
      budget.mapLine(
        line({ type: 'run.finished', outcome: 'budget_exceeded', limit: 'maxUsd', usage }),
      ),
      [],
    );
    assert.deepEqual(budget.finish({ code: 3, signal: null }), {
      outcome: 'budget_exceeded',
      limit: 'maxUsd',
      usage,
    });
    const liar = new CommandEvents();
    liar.mapLine(line({ type: 'run.finished', outcome: 'succeeded', usage }));
    assert.deepEqual(liar.finish({ code: 4, signal: null }), {
      outcome: 'failed',
      message: 'the command failed (exit code 4)',
      usage,
    });
  });
});
