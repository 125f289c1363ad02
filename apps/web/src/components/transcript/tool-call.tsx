import { useState } from 'react';
import type { ChatItem } from './transcript-reducer.ts';

type ToolItem = Extract<ChatItem, { kind: 'tool' }>;

const PREVIEW_CHARS = 2000;
const PREVIEW_LINES = 30;
/** Input fields that say best what a call does, in order of preference. */
const KEY_FIELDS = ['command', 'cmd', 'path', 'file_path', 'pattern', 'url', 'query', 'name'];

/** The argument worth showing on one line: `ls -la`, `src/app.ts`, … */
export function keyArgument(input: unknown): string {
  if (typeof input === 'string') return oneLine(input);
  if (typeof input !== 'object' || input === null) return '';
  const record = input as Record<string, unknown>;
  for (const field of KEY_FIELDS) {
    const value = record[field];
    if (typeof value === 'string') return oneLine(value);
    if (Array.isArray(value) && value.every((part) => typeof part === 'string')) {
      return oneLine(value.join(' '));
    }
  }
  const first = Object.values(record).find((value) => typeof value === 'string');
  return typeof first === 'string' ? oneLine(first) : '';
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function stringify(input: unknown): string {
  if (input === undefined) return '(not recorded)';
  try {
    return JSON.stringify(input, null, 2) ?? String(input);
  } catch {
    return String(input);
  }
}

/** One tool call, collapsed to its name, key argument and status; input and output inside. */
export function ToolCall({ item }: { item: ToolItem }) {
  const { result } = item;
  const status = !result ? 'running' : result.isError ? 'failed' : 'ok';
  const argument = keyArgument(item.input);
  return (
    <details className={`tool-call ${status}`}>
      <summary>
        <span className="tool-status" aria-hidden="true">
          {status === 'running' ? '…' : status === 'failed' ? '✗' : '✓'}
        </span>
        <span className="tool-name">{item.name}</span>
        {argument ? <code className="tool-arg">{argument}</code> : null}
        <span className="tool-meta muted small">
          {status === 'running' ? 'running' : status === 'failed' ? 'failed' : 'done'}
          {result?.durationMs !== undefined ? ` · ${duration(result.durationMs)}` : ''}
        </span>
      </summary>
      <div className="tool-body">
        <div className="tool-section-label">Input</div>
        <LongText text={stringify(item.input)} />
        <div className="tool-section-label">{result?.isError ? 'Error' : 'Output'}</div>
        {result ? (
          <LongText text={result.output || '(no output)'} />
        ) : (
          <p className="muted small">Waiting for the result…</p>
        )}
      </div>
    </details>
  );
}

/** Monospace text cut to a preview, with a "Show all" toggle when it is long. */
export function LongText({ text }: { text: string }) {
  const [isExpanded, setExpanded] = useState(false);
  const lines = text.split('\n');
  const isLong = text.length > PREVIEW_CHARS || lines.length > PREVIEW_LINES;
  const shown =
    isExpanded || !isLong ? text : lines.slice(0, PREVIEW_LINES).join('\n').slice(0, PREVIEW_CHARS);
  return (
    <div className="long-text">
      {/* Focusable: a long line scrolls sideways, and keyboards must reach it. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region. */}
      <pre tabIndex={0}>{shown}</pre>
      {isLong ? (
        <button
          type="button"
          className="button small"
          aria-expanded={isExpanded}
          onClick={() => setExpanded(!isExpanded)}
        >
          {isExpanded ? 'Show less' : `Show all (${lines.length} lines)`}
        </button>
      ) : null}
    </div>
  );
}
