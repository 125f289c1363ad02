import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTranscriptLine, type TranscriptEvent } from '@paddock/core';
import { MarkdownLines } from './markdown.ts';
import { formatOutcome } from './outcome.ts';
import { TranscriptRenderer } from './renderer.ts';
import { createStyle } from './style.ts';
import { keyArgument } from './tool-line.ts';

const ts = '2025-01-01T00:00:00Z';
const usage = { inputTokens: 12_345, outputTokens: 1_100, costUsd: 0.0421, turns: 3, toolCalls: 5 };

/** A recorded task run, as the built-in harness writes it (JSON Lines). */
const RECORDED = [
  {
    type: 'run.started',
    harness: 'builtin',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    mode: 'task',
  },
  { type: 'message.user', text: 'Run the tests' },
  {
    type: 'llm.call',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    status: 200,
    isStream: true,
    inputTokens: 900,
    outputTokens: 40,
    costUsd: 0.0033,
    latencyMs: 1200,
  },
  { type: 'message.delta', text: 'I will run ' },
  { type: 'message.delta', text: '`npm test`.' },
  { type: 'message.assistant', text: 'I will run `npm test`.', stopReason: 'tool_use' },
  { type: 'tool.call', id: 't1', name: 'bash', input: { command: 'npm test' } },
  {
    type: 'tool.result',
    id: 't1',
    name: 'bash',
    output: 'ok 1\nok 2\n',
    isError: false,
    durationMs: 400,
  },
  { type: 'tool.call', id: 't2', name: 'bash', input: { command: 'npm run lint' } },
  {
    type: 'tool.result',
    id: 't2',
    name: 'bash',
    output: 'exit code 1\nsrc/a.ts: bad\n',
    isError: true,
    durationMs: 1500,
  },
  { type: 'log', level: 'warn', message: 'output truncated' },
  { type: 'log', level: 'info', message: 'turn 2' },
  { type: 'usage', usage },
  { type: 'message.delta', text: '# Done\n- tests pass\n' },
  { type: 'message.delta', text: '- lint fails' },
  { type: 'message.assistant', text: '# Done\n- tests pass\n- lint fails', stopReason: 'end_turn' },
  { type: 'run.finished', outcome: 'succeeded', usage },
].map((event, index) =>
  parseTranscriptLine(JSON.stringify({ v: 1, ts, seq: index + 1, ...event })),
);

function render(events: readonly TranscriptEvent[], isColor: boolean, isVerbose = false) {
  const renderer = new TranscriptRenderer({ isColor, isVerbose });
  return events.map((event) => renderer.push(event)).join('') + renderer.flush();
}

describe('TranscriptRenderer', () => {
  it('renders a recorded run as plain text: streamed text once, tools folded, outcome last', () => {
    assert.equal(
      render(RECORDED, false),
      [
        '● builtin · anthropic/claude-sonnet-4-5 · task',
        '› Run the tests',
        'I will run `npm test`.',
        '▸ bash  npm test',
        '  ✓ 0.4s  2 lines',
        '▸ bash  npm run lint',
        '  ✗ exit 1  1.5s',
        '    exit code 1',
        '    src/a.ts: bad',
        '! output truncated',
        '# Done',
        '- tests pass',
        '- lint fails',
        '',
        'Succeeded · 3 turns · 5 tool calls · 12.3k in / 1.1k out · $0.0421',
        '',
      ].join('\n'),
    );
  });

  it('shows model calls and info logs only when verbose', () => {
    const quiet = render(RECORDED, false);
    const verbose = render(RECORDED, false, true);
    assert.doesNotMatch(quiet, /900 in/);
    assert.match(
      verbose,
      /· anthropic\/claude-sonnet-4-5 {2}900 in \/ 40 out {2}1\.2s {2}\$0\.0033\n/,
    );
    assert.match(verbose, /\nturn 2\n/);
  });

  it('renders Markdown with colour, line by line, without repeating the streamed message', () => {
    // ESC shown as `~` so the expectations read (and lint) as plain text.
    const text = render(RECORDED, true).replaceAll('\x1b', '~');
    assert.match(text, /~\[1mDone~\[22m\n• tests pass\n• lint fails\n/);
    assert.match(text, /I will run ~\[36mnpm test~\[39m\.\n/);
    assert.equal(text.match(/lint fails/g)?.length, 1);
    assert.match(text, /~\[31m✗ exit 1~\[39m/);
  });

  it('prints a message that was not streamed, and ends a partial line before other output', () => {
    const events = [
      { type: 'message.assistant', text: 'whole answer', stopReason: 'end_turn' },
      { type: 'message.delta', text: 'partial' },
      { type: 'error', code: 'tool_failed', message: 'boom' },
      { type: 'message.assistant', text: 'partial', stopReason: 'end_turn' },
      { type: 'run.finished', outcome: 'budget_exceeded', limit: 'maxUsd', usage },
    ].map((event) => parseTranscriptLine(JSON.stringify({ v: 1, ts, ...event })));
    assert.equal(
      render(events, false),
      'whole answer\npartial\n✗ tool_failed: boom\n\nBudgetExceeded · 3 turns · 5 tool calls · 12.3k in / 1.1k out · $0.0421\nbudget limit maxUsd reached\n',
    );
  });

  it('says what the run waits for: the model, a tool, or nothing (turn over)', () => {
    const renderer = new TranscriptRenderer({ isColor: false, isVerbose: false });
    const seen = RECORDED.map((event) => {
      renderer.push(event);
      const activity = renderer.activity;
      return activity.type === 'tool' ? `tool:${activity.name}` : activity.type;
    });
    assert.deepEqual(seen.slice(0, 8), [
      'model',
      'model',
      'model',
      'model',
      'model',
      'model',
      'tool:bash',
      'model',
    ]);
    assert.equal(seen.at(-2), 'idle');
    assert.equal(renderer.finished?.outcome, 'succeeded');
  });
});

describe('transcript pieces', () => {
  it('picks the telling argument of a tool call and keeps it on one line', () => {
    assert.equal(keyArgument({ command: ['ls', '-la'] }), 'ls -la');
    assert.equal(keyArgument({ content: 'x', path: '/workspace/a.ts' }), '/workspace/a.ts');
    assert.equal(keyArgument({ script: 'a\n  b' }), 'a b');
    assert.equal(keyArgument({ command: 'x'.repeat(100) }).length, 80);
    assert.equal(keyArgument(null), '');
  });

  it('renders fenced code dimmed and indented; plain text passes through', () => {
    const colour = new MarkdownLines(createStyle(true));
    const lines = ['```ts', 'const a = 1;', '```', 'after'].map((l) => colour.render(l));
    assert.deepEqual(lines, [
      '\x1b[2m  ┌\x1b[22m',
      '\x1b[2m  │ const a = 1;\x1b[22m',
      '\x1b[2m  └\x1b[22m',
      'after',
    ]);
    const plain = new MarkdownLines(createStyle(false));
    assert.equal(plain.render('# Title'), '# Title');
  });

  it('formats an outcome without usage, with the reason', () => {
    assert.equal(
      formatOutcome({ phase: 'Failed', message: 'sandbox failed' }, createStyle(false)),
      'Failed\nsandbox failed\n',
    );
  });
});
