import { useLayoutEffect, useRef, useState } from 'react';
import { ErrorState } from '../states.tsx';
import './transcript.css';
import { Markdown } from './markdown.tsx';
import { OutcomeBanner } from './outcome-banner.tsx';
import { ToolCall } from './tool-call.tsx';
import type { ChatItem, TranscriptState } from './transcript-reducer.ts';
import type { TranscriptStream } from './use-transcript.ts';

/** How close to the bottom (px) still counts as "following the newest message". */
const STICK_PX = 48;

/**
 * The chat: a log region labelled "Transcript" that follows the newest message unless the reader
 * scrolled up (then a "Jump to latest" button appears). While an answer streams the log is
 * `aria-busy`, so screen readers announce the message once, complete.
 */
export function TranscriptView({
  transcript,
  stream,
  retry,
  prompt,
}: {
  transcript: TranscriptState;
  stream: TranscriptStream;
  retry: () => void;
  /** The run's prompt, shown as the first message until the harness records it. */
  prompt?: string | undefined;
}) {
  const logRef = useRef<HTMLDivElement>(null);
  const isStuck = useRef(true);
  const [isAtBottom, setAtBottom] = useState(true);
  const { items } = transcript;
  const isStreaming = transcript.streamingIndex !== undefined;
  const hasUserMessage = items.some((item) => item.kind === 'user');

  // biome-ignore lint/correctness/useExhaustiveDependencies: scrolls on every new or grown item.
  useLayoutEffect(() => {
    const log = logRef.current;
    if (log && isStuck.current) log.scrollTop = log.scrollHeight;
  }, [items]);

  const onScroll = () => {
    const log = logRef.current;
    if (!log) return;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < STICK_PX;
    isStuck.current = atBottom;
    setAtBottom(atBottom);
  };
  const jump = () => {
    const log = logRef.current;
    if (!log) return;
    isStuck.current = true;
    setAtBottom(true);
    log.scrollTop = log.scrollHeight;
  };

  return (
    <section className="transcript" aria-label="Transcript">
      <div
        ref={logRef}
        className="transcript-log"
        role="log"
        aria-label="Transcript"
        aria-live="polite"
        aria-busy={isStreaming}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the scrollable log must be reachable by keyboard.
        tabIndex={0}
        onScroll={onScroll}
      >
        {prompt && !hasUserMessage && stream.state !== 'loading' ? (
          <ChatRow item={{ kind: 'user', key: 'prompt', ts: '', text: prompt }} />
        ) : null}
        {items.map((item, i) => (
          <ChatRow key={item.key} item={item} previous={i > 0 ? items[i - 1] : undefined} />
        ))}
        {items.length === 0 && stream.state !== 'failed' ? (
          <p className="muted transcript-placeholder">
            {stream.state === 'loading'
              ? 'Loading the transcript…'
              : stream.state === 'live'
                ? 'Waiting for the agent…'
                : 'This run has no transcript.'}
          </p>
        ) : null}
      </div>
      {!isAtBottom ? (
        <button type="button" className="button small jump-latest" onClick={jump}>
          Jump to latest ↓
        </button>
      ) : null}
      {stream.state === 'failed' ? <ErrorState error={stream.error} retry={retry} /> : null}
    </section>
  );
}

function ChatRow({ item, previous }: { item: ChatItem; previous?: ChatItem | undefined }) {
  switch (item.kind) {
    case 'started':
      return (
        <p className="event-line muted small">
          Agent started · {item.harness}
          {item.model ? ` · ${item.model}` : ''}
        </p>
      );
    case 'user':
      return (
        <div className="msg user">
          <div className="msg-author">You</div>
          <div className="bubble plain">{item.text}</div>
        </div>
      );
    case 'assistant':
      return (
        <div className={item.isStreaming ? 'msg assistant streaming' : 'msg assistant'}>
          <div className="msg-author">
            Assistant
            {item.isStreaming ? <span className="muted small"> · writing…</span> : null}
          </div>
          <div className="bubble">
            <Markdown text={item.text} />
          </div>
        </div>
      );
    case 'thinking':
      return (
        <details className="thinking">
          <summary>Thinking</summary>
          <div className="plain muted">{item.text}</div>
        </details>
      );
    case 'tool':
      return <ToolCall item={item} />;
    case 'log':
      return (
        <p className={`event-line log ${item.level}`}>
          <span
            className={
              item.level === 'info'
                ? 'badge run-badge'
                : item.level === 'warn'
                  ? 'badge run-badge warn'
                  : 'badge run-badge bad'
            }
          >
            {item.level}
          </span>{' '}
          <span className="plain">{item.message}</span>
        </p>
      );
    case 'error':
      return (
        <p className="event-line error">
          <span className="badge run-badge bad">error</span> <code>{item.code}</code>{' '}
          <span className="plain">{item.message}</span>
        </p>
      );
    case 'finished':
      return (
        <OutcomeBanner
          outcome={item.outcome}
          limit={item.limit}
          // The result is usually the last answer, just shown above: not twice.
          result={
            previous?.kind === 'assistant' && previous.text.trim() === item.result?.trim()
              ? undefined
              : item.result
          }
          message={item.message}
          usage={item.usage}
        />
      );
  }
}
