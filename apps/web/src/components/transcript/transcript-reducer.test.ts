/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredTranscriptEvent, TranscriptEventInput } from '@paddock/core';
import { applyEvents, emptyTranscript, transcriptFromEvents } from './transcript-reducer.ts';

const usage = { inputTokens: 10, outputTokens: 5, costUsd: 0.01, turns: 1, toolCalls: 1 };

/** Numbers events from 1 in the order given, as the run's event log does. */
function numbered(inputs: TranscriptEventInput[]): StoredTranscriptEvent[] {
  return inputs.map(
    (input, i) =>
      ({
        v: 1,
        ts: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
        seq: i + 1,
        ...input,
      }) as StoredTranscriptEvent,
  );
}

describe('transcript reducer', () => {
  it('streams deltas into one assistant message that the full message replaces', () => {
    const events = numbered([
      { type: 'message.user', text: 'hello' },
      { type: 'message.delta', text: 'Hel' },
      { type: 'message.delta', text: 'lo th' },
    ]);
    const streaming = transcriptFromEvents(events);
    assert.deepEqual(
      streaming.items.map((item) => [item.kind, 'text' in item ? item.text : undefined]),
      [
        ['user', 'hello'],
        ['assistant', 'Hello th'],
      ],
    );
    assert.equal(streaming.items[1]?.kind === 'assistant' && streaming.items[1].isStreaming, true);

    const done = applyEvents(
      streaming,
      numbered([
        { type: 'message.user', text: 'hello' },
        { type: 'message.delta', text: 'Hel' },
        { type: 'message.delta', text: 'lo th' },
        { type: 'message.assistant', text: 'Hello there', stopReason: 'end_turn' },
      ]),
    );
    const assistants = done.items.filter((item) => item.kind === 'assistant');
    assert.equal(assistants.length, 1, 'the final message is not shown twice');
    assert.deepEqual(assistants[0], {
      kind: 'assistant',
      key: '2',
      ts: assistants[0]?.ts,
      text: 'Hello there',
      isStreaming: false,
    });
  });

  it('shows an assistant message that arrives without deltas', () => {
    const state = transcriptFromEvents(
      numbered([
        { type: 'message.delta', text: 'first' },
        { type: 'message.assistant', text: 'first turn' },
        { type: 'message.assistant', text: 'second turn' },
      ]),
    );
    assert.deepEqual(
      state.items.map((item) => (item.kind === 'assistant' ? item.text : item.kind)),
      ['first turn', 'second turn'],
    );
  });

  it('completes a tool call with its result and keeps llm calls out of the chat', () => {
    const state = transcriptFromEvents(
      numbered([
        { type: 'message.delta', text: 'Let me look' },
        { type: 'tool.call', id: 't1', name: 'shell', input: { command: 'ls' } },
        {
          type: 'llm.call',
          provider: 'anthropic',
          model: 'claude',
          status: 200,
          isStream: true,
          inputTokens: 10,
          outputTokens: 5,
          costUsd: 0.01,
          latencyMs: 120,
        },
        {
          type: 'tool.result',
          id: 't1',
          name: 'shell',
          output: 'a\nb',
          isError: false,
          durationMs: 7,
        },
        { type: 'usage', usage },
      ]),
    );
    assert.deepEqual(
      state.items.map((item) => item.kind),
      ['assistant', 'tool'],
    );
    const assistant = state.items[0];
    assert.equal(assistant?.kind === 'assistant' && assistant.isStreaming, false);
    const tool = state.items[1];
    assert.ok(tool?.kind === 'tool');
    assert.deepEqual(tool.input, { command: 'ls' });
    assert.deepEqual(tool.result, { output: 'a\nb', isError: false, durationMs: 7 });
    assert.equal(state.llmCalls.length, 1);
    assert.deepEqual(state.usage, usage);
  });

  it('ignores events it has already applied (a resumed stream)', () => {
    const events = numbered([
      { type: 'message.user', text: 'hi' },
      { type: 'message.delta', text: 'a' },
      { type: 'message.delta', text: 'b' },
    ]);
    const once = transcriptFromEvents(events);
    const again = applyEvents(once, events.slice(1));
    assert.equal(again, once, 'nothing new: the same state');
    const more = applyEvents(
      once,
      numbered([
        { type: 'message.user', text: 'hi' },
        { type: 'message.delta', text: 'a' },
        { type: 'message.delta', text: 'b' },
        { type: 'message.delta', text: 'c' },
      ]),
    );
    assert.equal(more.lastSeq, 4);
    assert.equal(more.items[1]?.kind === 'assistant' && more.items[1].text, 'abc');
  });

  it('keeps warnings, errors and the outcome; drops debug logs', () => {
    const state = transcriptFromEvents(
      numbered([
        { type: 'run.started', harness: 'builtin', model: 'm', mode: 'task' },
        { type: 'log', level: 'debug', message: 'noise' },
        { type: 'log', level: 'warn', message: 'careful' },
        { type: 'error', code: 'tool_failed', message: 'boom' },
        { type: 'message.delta', text: 'partial' },
        { type: 'run.finished', outcome: 'succeeded', result: 'done', usage },
      ]),
    );
    assert.deepEqual(
      state.items.map((item) => item.kind),
      ['started', 'log', 'error', 'assistant', 'finished'],
    );
    assert.equal(state.items[3]?.kind === 'assistant' && state.items[3].isStreaming, false);
    assert.equal(state.finished?.result, 'done');
    assert.deepEqual(state.usage, usage);
  });

  it('starts empty', () => {
    assert.deepEqual(transcriptFromEvents([]), emptyTranscript);
  });
});
