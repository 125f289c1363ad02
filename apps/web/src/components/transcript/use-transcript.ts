import type { StoredTranscriptEvent } from '@paddock/core';
import { useEffect, useRef, useState } from 'react';
import { useSession } from '../../lib/session.ts';
import { applyEvents, emptyTranscript, type TranscriptState } from './transcript-reducer.ts';

export type TranscriptStream =
  | { state: 'loading' }
  | { state: 'live' }
  | { state: 'done' }
  | { state: 'failed'; error: unknown };

const PAGE_LIMIT = 1000;
/** Streamed deltas arrive many per second; render them in batches. */
const FLUSH_MS = 50;

/**
 * A run's transcript as chat state. A finished run is read page by page; a live one is followed
 * (stored events, then new ones as they are written; the client resumes after drops). `retry`
 * restarts after a failure from the last event applied, so nothing is shown twice.
 * `isFinished` is read once, when known: pass undefined until the run is loaded. Mount it under a
 * `key` of the run's namespace and name: another run needs a fresh hook.
 */
export function useTranscript(name: string, isFinished: boolean | undefined) {
  const { client } = useSession();
  const [transcript, setTranscript] = useState<TranscriptState>(emptyTranscript);
  const [stream, setStream] = useState<TranscriptStream>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const lastSeq = useRef(0);
  const mode = useRef<'page' | 'follow' | undefined>(undefined);

  if (mode.current === undefined && isFinished !== undefined) {
    mode.current = isFinished ? 'page' : 'follow';
  }
  const chosen = isFinished === undefined ? undefined : (mode.current ?? 'follow');

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` restarts the stream.
  useEffect(() => {
    if (chosen === undefined) return;
    const abort = new AbortController();
    let buffer: StoredTranscriptEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      if (buffer.length === 0) return;
      const batch = buffer;
      buffer = [];
      setTranscript((state) => applyEvents(state, batch));
    };
    const push = (event: StoredTranscriptEvent) => {
      if (event.seq <= lastSeq.current) return;
      lastSeq.current = event.seq;
      buffer.push(event);
      timer ??= setTimeout(flush, FLUSH_MS);
    };
    setStream({ state: 'loading' });
    void (async () => {
      try {
        if (chosen === 'page') {
          let page: Awaited<ReturnType<typeof client.runs.events>>;
          do {
            page = await client.runs.events(name, {
              afterSeq: lastSeq.current,
              limit: PAGE_LIMIT,
              signal: abort.signal,
            });
            for (const event of page.items) push(event);
          } while (page.items.length === PAGE_LIMIT && !abort.signal.aborted);
        } else {
          setStream({ state: 'live' });
          for await (const event of client.runs.follow(name, {
            afterSeq: lastSeq.current,
            signal: abort.signal,
          })) {
            push(event);
          }
        }
        if (abort.signal.aborted) return;
        if (timer) clearTimeout(timer);
        flush();
        setStream({ state: 'done' });
      } catch (error) {
        if (abort.signal.aborted) return;
        if (timer) clearTimeout(timer);
        flush();
        setStream({ state: 'failed', error });
      }
    })();
    return () => {
      abort.abort();
      if (timer) clearTimeout(timer);
      flush();
    };
  }, [client, name, chosen, attempt]);

  return { transcript, stream, retry: () => setAttempt((n) => n + 1) };
}
