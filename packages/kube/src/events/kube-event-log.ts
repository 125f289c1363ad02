import {
  ChangeFeed,
  type EventLog,
  EventOrder,
  type EventPage,
  EventQuery,
  type EventRecorder,
  followEventLog,
  isPaddockError,
  matchesEventQuery,
  parseInput,
  type RecordedEvent,
  type ResourceEvent,
} from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import type { KubeEvent } from './kube-event-recorder.ts';

const EVENTS = '/apis/events.k8s.io/v1';

type EventList = {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeEvent[];
};
type StoredEvent = KubeEvent & { metadata: { resourceVersion?: string } };

/**
 * The `EventLog` of a cluster: sandbox and run timelines read from `events.k8s.io/v1` Events
 * (what the controller records, wherever it runs), written through `recorder`. An event's `seq`
 * is its resourceVersion, which grows with every write to the cluster, so an Event whose series
 * is updated comes again, later, with its new count's time. `follow` is woken by one watch on the
 * Events of every namespace, opened while someone follows. A query lists the namespace's Events
 * (all namespaces without one) and filters them here: the Event API selects by field only on a
 * whole cluster, so the same code runs on the test API server.
 */
export class KubeEventLog implements EventLog {
  readonly #client: KubeClient;
  readonly #recorder: EventRecorder;
  readonly #feed = new ChangeFeed();
  #watch: AbortController | undefined;
  #isOpen = true;

  constructor(client: KubeClient, recorder: EventRecorder) {
    this.#client = client;
    this.#recorder = recorder;
  }

  record(event: ResourceEvent): void | Promise<void> {
    return this.#recorder.record(event);
  }

  async query(query: EventQuery = {}): Promise<EventPage> {
    const parsed = parseInput(EventQuery, query, 'event query');
    const after = parsed.continue ?? 0;
    const isNewestFirst = parsed.order === EventOrder.NewestFirst;
    const matching = (await this.#list(parsed.namespace))
      .map(recordedEvent)
      .filter((event) => matchesEventQuery(event, parsed))
      .filter((event) =>
        parsed.continue === undefined
          ? true
          : isNewestFirst
            ? event.seq < after
            : event.seq > after,
      )
      .sort((a, b) => (isNewestFirst ? b.seq - a.seq : a.seq - b.seq));
    const items = matching.slice(0, parsed.limit);
    const last = items.at(-1);
    return matching.length > items.length && last !== undefined
      ? { items, continue: last.seq }
      : { items };
  }

  follow(query: EventQuery, signal: AbortSignal): AsyncIterable<RecordedEvent> {
    const feed = {
      subscribe: (listener: () => void) => {
        const unsubscribe = this.#feed.subscribe(listener);
        this.#watchWhileFollowed();
        return () => {
          unsubscribe();
          if (this.#feed.size === 0) {
            this.#watch?.abort();
            this.#watch = undefined;
          }
        };
      },
      isOpen: () => this.#isOpen,
    };
    return followEventLog(this, feed, query, signal);
  }

  /** Ends the watch; followers end. The client and the recorder belong to the caller. */
  async close(): Promise<void> {
    this.#isOpen = false;
    this.#watch?.abort();
    this.#watch = undefined;
    this.#feed.notify();
  }

  async #list(namespace: string | undefined): Promise<StoredEvent[]> {
    const path =
      namespace === undefined ? `${EVENTS}/events` : `${EVENTS}/namespaces/${namespace}/events`;
    const items: StoredEvent[] = [];
    let next: string | undefined;
    do {
      const page = await this.#client.request<EventList>('GET', path, {
        query: { limit: 500, continue: next },
      });
      items.push(...((page.items ?? []) as StoredEvent[]));
      next = page.metadata?.continue || undefined;
    } while (next !== undefined);
    return items;
  }

  /** One watch of every namespace's Events while anyone follows; each change wakes them. */
  #watchWhileFollowed(): void {
    if (this.#watch !== undefined || !this.#isOpen) return;
    const abort = new AbortController();
    this.#watch = abort;
    void (async () => {
      while (!abort.signal.aborted) {
        try {
          const list = await this.#client.request<EventList>('GET', `${EVENTS}/events`, {
            query: { limit: 1 },
            signal: abort.signal,
          });
          // Whatever happened before this watch is read by the followers' next read.
          this.#feed.notify();
          const from = list.metadata?.resourceVersion;
          for await (const _ of this.#client.watch(
            `${EVENTS}/events`,
            from === undefined ? {} : { resourceVersion: from },
            abort.signal,
          )) {
            this.#feed.notify();
          }
        } catch (error) {
          if (abort.signal.aborted) return;
          if (!isPaddockError(error, 'expired')) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        }
      }
    })();
  }
}

/** An Event as the timeline shows it: the latest time of its series, its note as the message. */
function recordedEvent(event: StoredEvent): RecordedEvent {
  const regarding = event.regarding ?? { kind: '', name: '' };
  const recorded: RecordedEvent = {
    kind: regarding.kind,
    name: regarding.name,
    type: event.type === 'Warning' ? 'Warning' : 'Normal',
    reason: event.reason ?? '',
    message: event.note ?? '',
    timestamp: event.series?.lastObservedTime ?? event.eventTime,
    seq: Number(event.metadata.resourceVersion ?? 0),
  };
  if (regarding.namespace !== undefined) recorded.namespace = regarding.namespace;
  if (regarding.uid !== undefined) recorded.uid = regarding.uid;
  return recorded;
}
