import { isPaddockError } from '@paddock/core';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useSession } from '../../lib/session.ts';
import { ErrorState } from '../states.tsx';

/** Lines kept on screen; older ones are dropped. */
const MAX_LINES = 5000;

type Line = { id: number; stream: 'stdout' | 'stderr'; text: string; isOpen: boolean };
type Follow = 'following' | 'ended' | 'failed';

/** Adds a streamed chunk (which may end mid-line) to the lines, keeping the last MAX_LINES. */
export function appendChunk(
  lines: readonly Line[],
  stream: Line['stream'],
  text: string,
  nextId: () => number,
): Line[] {
  const out = lines.slice();
  const parts = text.split('\n');
  parts.forEach((part, i) => {
    const isLast = i === parts.length - 1;
    const prev = out[out.length - 1];
    if (i === 0 && prev?.isOpen && prev.stream === stream) {
      out[out.length - 1] = { ...prev, text: prev.text + part, isOpen: isLast };
    } else if (!(isLast && part === '')) {
      out.push({ id: nextId(), stream, text: part, isOpen: isLast });
    }
  });
  return out.length > MAX_LINES ? out.slice(out.length - MAX_LINES) : out;
}

/**
 * The main process's output, followed live (SSE). Scrolls to the newest line unless the reader
 * scrolled up; scrolling back to the bottom resumes following.
 */
export function LogsPanel({ name, isRunning }: { name: string; isRunning: boolean }) {
  const { client } = useSession();
  const [lines, setLines] = useState<Line[]>([]);
  const [follow, setFollow] = useState<Follow>('following');
  const [error, setError] = useState<unknown>(undefined);
  const [attempt, setAttempt] = useState(0);
  const [isPinned, setPinned] = useState(true);
  const boxRef = useRef<HTMLDivElement>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` and `isRunning` re-open the stream.
  useEffect(() => {
    const abort = new AbortController();
    let id = 0;
    const nextId = () => ++id;
    setLines([]);
    setError(undefined);
    setFollow('following');
    void (async () => {
      try {
        const stream = client.sandboxes.logs(name, {
          follow: true,
          tailLines: MAX_LINES,
          signal: abort.signal,
        });
        for await (const line of stream) {
          setLines((current) => appendChunk(current, line.stream, line.text, nextId));
        }
        if (!abort.signal.aborted) setFollow('ended');
      } catch (thrown) {
        if (abort.signal.aborted) return;
        setError(thrown);
        setFollow('failed');
      }
    })();
    return () => abort.abort();
  }, [client, name, attempt, isRunning]);

  useLayoutEffect(() => {
    const box = boxRef.current;
    if (box && isPinned && lines) box.scrollTop = box.scrollHeight;
  }, [lines, isPinned]);

  const onScroll = () => {
    const box = boxRef.current;
    if (!box) return;
    setPinned(box.scrollHeight - box.scrollTop - box.clientHeight < 24);
  };
  const code = isPaddockError(error) ? error.code : undefined;

  return (
    <div className="logs-panel">
      <div className="row logs-bar">
        <p role="status" aria-live="polite" className="small">
          {follow === 'following'
            ? isPinned
              ? 'Following the log'
              : 'Paused: scrolled up (scroll to the bottom to follow again)'
            : follow === 'ended'
              ? 'The log ended (the main process is not running)'
              : `Log stream failed${code ? ` (${code})` : ''}`}
        </p>
        <span className="muted small">{lines.length} lines</span>
        {!isPinned ? (
          <button type="button" className="button small" onClick={() => setPinned(true)}>
            Jump to newest
          </button>
        ) : null}
        {follow !== 'following' ? (
          <button type="button" className="button small" onClick={() => setAttempt((n) => n + 1)}>
            Reload log
          </button>
        ) : null}
      </div>
      {error ? <ErrorState error={error} retry={() => setAttempt((n) => n + 1)} /> : null}
      <div
        className="logs"
        ref={boxRef}
        onScroll={onScroll}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls; keyboard users must reach it.
        tabIndex={0}
        role="log"
        aria-live="off"
        aria-label="Log of the main process"
      >
        {lines.length === 0 ? (
          <span className="muted">No output yet.</span>
        ) : (
          lines.map((line) => (
            <div key={line.id} className={line.stream === 'stderr' ? 'stderr' : undefined}>
              {line.text || ' '}
            </div>
          ))
        )}
      </div>
    </div>
  );
}
