/**
 * Turns a run's transcript events into what the chat shows. Pure (no React, no DOM), so Node's
 * test runner checks it directly: events in, chat items, LLM call trace, usage and outcome out.
 *
 * - `message.delta` pieces stream into one assistant item; the `message.assistant` that follows
 *   replaces the streamed text (never shown twice).
 * - `tool.result` completes the `tool.call` with the same id.
 * - `llm.call` events go to the call trace, not the chat; `usage` to the running totals.
 * - Events at or before the last `seq` applied are ignored, so a resumed stream never repeats.
 */
import type { RunUsage, StoredTranscriptEvent } from '@paddock/core';

type EventOf<T extends StoredTranscriptEvent['type']> = Extract<StoredTranscriptEvent, { type: T }>;

export type LlmCall = EventOf<'llm.call'>;
export type RunFinishedEvent = EventOf<'run.finished'>;

export type ToolResult = { output: string; isError: boolean; durationMs?: number | undefined };

/** One row of the chat. `key` is stable for React (the seq of the event that opened it). */
export type ChatItem =
  | { kind: 'started'; key: string; ts: string; harness: string; model?: string | undefined }
  | { kind: 'user'; key: string; ts: string; text: string }
  | { kind: 'assistant'; key: string; ts: string; text: string; isStreaming: boolean }
  | { kind: 'thinking'; key: string; ts: string; text: string }
  | {
      kind: 'tool';
      key: string;
      ts: string;
      id: string;
      name: string;
      input: unknown;
      result?: ToolResult | undefined;
    }
  | { kind: 'log'; key: string; ts: string; level: 'info' | 'warn' | 'error'; message: string }
  | { kind: 'error'; key: string; ts: string; code: string; message: string }
  | {
      kind: 'finished';
      key: string;
      ts: string;
      outcome: RunFinishedEvent['outcome'];
      limit?: string | undefined;
      result?: string | undefined;
      message?: string | undefined;
      usage: RunUsage;
    };

export type TranscriptState = {
  items: readonly ChatItem[];
  llmCalls: readonly LlmCall[];
  usage: RunUsage | undefined;
  finished: RunFinishedEvent | undefined;
  /** The last event applied; a resumed stream asks for events after it. */
  lastSeq: number;
  /** Index in `items` of the assistant message still streaming, if any. */
  streamingIndex: number | undefined;
  /** Index in `items` of each tool call by its id. */
  toolIndex: Readonly<Record<string, number>>;
};

export const emptyTranscript: TranscriptState = {
  items: [],
  llmCalls: [],
  usage: undefined,
  finished: undefined,
  lastSeq: 0,
  streamingIndex: undefined,
  toolIndex: {},
};

/** Applies a batch of events (in seq order) at once: one copy of the arrays per batch. */
export function applyEvents(
  state: TranscriptState,
  events: readonly StoredTranscriptEvent[],
): TranscriptState {
  const fresh: StoredTranscriptEvent[] = [];
  let seen = state.lastSeq;
  for (const event of events) {
    if (event.seq <= seen) continue;
    fresh.push(event);
    seen = event.seq;
  }
  if (fresh.length === 0) return state;
  const items = [...state.items];
  const llmCalls = [...state.llmCalls];
  const toolIndex = { ...state.toolIndex };
  let { usage, finished, streamingIndex, lastSeq } = state;

  for (const event of fresh) {
    lastSeq = event.seq;
    const key = String(event.seq);
    const ts = event.ts;
    switch (event.type) {
      case 'run.started':
        items.push({ kind: 'started', key, ts, harness: event.harness, model: event.model });
        break;
      case 'message.user':
        streamingIndex = undefined;
        items.push({ kind: 'user', key, ts, text: event.text });
        break;
      case 'message.delta': {
        const open = streamingIndex === undefined ? undefined : items[streamingIndex];
        if (streamingIndex !== undefined && open?.kind === 'assistant') {
          items[streamingIndex] = { ...open, text: open.text + event.text };
        } else {
          streamingIndex = items.length;
          items.push({ kind: 'assistant', key, ts, text: event.text, isStreaming: true });
        }
        break;
      }
      case 'message.assistant': {
        const open = streamingIndex === undefined ? undefined : items[streamingIndex];
        if (streamingIndex !== undefined && open?.kind === 'assistant') {
          items[streamingIndex] = { ...open, text: event.text, isStreaming: false };
        } else if (event.text !== '') {
          items.push({ kind: 'assistant', key, ts, text: event.text, isStreaming: false });
        }
        streamingIndex = undefined;
        break;
      }
      case 'thinking':
        items.push({ kind: 'thinking', key, ts, text: event.text });
        break;
      case 'tool.call':
        streamingIndex = closeStreaming(items, streamingIndex);
        toolIndex[event.id] = items.length;
        items.push({ kind: 'tool', key, ts, id: event.id, name: event.name, input: event.input });
        break;
      case 'tool.result': {
        const result: ToolResult = {
          output: event.output,
          isError: event.isError,
          durationMs: event.durationMs,
        };
        const index = toolIndex[event.id];
        const call = index === undefined ? undefined : items[index];
        if (index !== undefined && call?.kind === 'tool') {
          items[index] = { ...call, result };
        } else {
          toolIndex[event.id] = items.length;
          items.push({
            kind: 'tool',
            key,
            ts,
            id: event.id,
            name: event.name,
            input: undefined,
            result,
          });
        }
        break;
      }
      case 'llm.call':
        llmCalls.push(event);
        break;
      case 'usage':
        usage = event.usage;
        break;
      case 'log':
        if (event.level !== 'debug') {
          items.push({ kind: 'log', key, ts, level: event.level, message: event.message });
        }
        break;
      case 'error':
        items.push({ kind: 'error', key, ts, code: event.code, message: event.message });
        break;
      case 'run.finished':
        streamingIndex = closeStreaming(items, streamingIndex);
        finished = event;
        usage = event.usage;
        items.push({
          kind: 'finished',
          key,
          ts,
          outcome: event.outcome,
          limit: event.limit,
          result: event.result,
          message: event.message,
          usage: event.usage,
        });
        break;
    }
  }
  return { items, llmCalls, usage, finished, lastSeq, streamingIndex, toolIndex };
}

/** The chat of a whole transcript. */
export function transcriptFromEvents(events: readonly StoredTranscriptEvent[]): TranscriptState {
  return applyEvents(emptyTranscript, events);
}

/** A streamed message that no `message.assistant` completed stops streaming where it is. */
function closeStreaming(items: ChatItem[], index: number | undefined): undefined {
  const open = index === undefined ? undefined : items[index];
  if (index !== undefined && open?.kind === 'assistant') {
    items[index] = { ...open, isStreaming: false };
  }
  return undefined;
}
