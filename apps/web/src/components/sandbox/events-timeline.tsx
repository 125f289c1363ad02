import type { ResourceEvent } from '@paddock/api';
import { useEffect, useState } from 'react';
import { useSession } from '../../lib/session.ts';
import { ErrorState, Loading } from '../states.tsx';

/** At most this many events are kept on screen; the oldest go first. */
const MAX_EVENTS = 500;

type Feed =
  | { state: 'loading' }
  | { state: 'live'; events: ResourceEvent[] }
  | { state: 'failed'; events: ResourceEvent[]; error: unknown };

/**
 * The sandbox's events as a vertical timeline, newest first, Warnings highlighted; followed
 * live (`events?watch=true` sends the past ones first, then new ones as they happen).
 */
export function EventsTimeline({ name }: { name: string }) {
  const { client } = useSession();
  const [feed, setFeed] = useState<Feed>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` re-opens the watch.
  useEffect(() => {
    const abort = new AbortController();
    let events: ResourceEvent[] = [];
    setFeed({ state: 'loading' });
    void (async () => {
      try {
        const first = await client.sandboxes.events(name, { signal: abort.signal });
        events = first.items.slice(-MAX_EVENTS);
        setFeed({ state: 'live', events });
        for await (const event of client.sandboxes.events(name, {
          watch: true,
          signal: abort.signal,
        })) {
          if (events.some((e) => sameEvent(e, event))) continue;
          events = [...events, event].slice(-MAX_EVENTS);
          setFeed({ state: 'live', events });
        }
      } catch (error) {
        if (!abort.signal.aborted) setFeed({ state: 'failed', events, error });
      }
    })();
    return () => abort.abort();
  }, [client, name, attempt]);

  const retry = () => setAttempt((n) => n + 1);
  return (
    <section className="card events" aria-labelledby="events-heading">
      <h2 id="events-heading">Events</h2>
      {feed.state === 'loading' ? <Loading what="Loading events" /> : null}
      {feed.state === 'failed' ? <ErrorState error={feed.error} retry={retry} /> : null}
      {feed.state !== 'loading' && feed.events.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : null}
      {feed.state !== 'loading' && feed.events.length > 0 ? (
        <ol className="timeline" aria-label="Events, newest first">
          {[...feed.events].reverse().map((event) => (
            <li
              key={`${event.timestamp}:${event.reason}:${event.message}`}
              className={event.type === 'Warning' ? 'warning' : undefined}
            >
              <div className="timeline-head">
                {event.type === 'Warning' ? <span className="badge bad">Warning</span> : null}
                <strong>{event.reason}</strong>
                <time className="muted small" dateTime={event.timestamp}>
                  {new Date(event.timestamp).toLocaleString()}
                </time>
              </div>
              <div className="timeline-message">{event.message}</div>
            </li>
          ))}
        </ol>
      ) : null}
    </section>
  );
}

const sameEvent = (a: ResourceEvent, b: ResourceEvent) =>
  a.timestamp === b.timestamp && a.reason === b.reason && a.message === b.message;
