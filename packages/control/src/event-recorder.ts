import {
  ChangeFeed,
  type EventLog,
  EventOrder,
  type EventPage,
  EventQuery,
  followEventLog,
  matchesEventQuery,
  parseInput,
  type RecordedEvent,
  ResourceEvent,
} from '@paddock/core';

export type {
  EventLog,
  EventPage,
  EventQuery,
  EventRecorder,
  RecordedEvent,
  ResourceEvent,
} from '@paddock/core';

/**
 * Keeps the newest `capacity` events in memory (tests and benchmarks; `paddock up` persists them
 * in SQLite). `query` and `follow` keep the `EventLog` contract (a follower wakes inside
 * `record`); `list` is the synchronous shorthand of `query`.
 */
export class MemoryEventRecorder implements EventLog {
  readonly #events: RecordedEvent[] = [];
  readonly #capacity: number;
  readonly #feed = new ChangeFeed();
  #seq = 0;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  record(event: ResourceEvent): void {
    const input = parseInput(ResourceEvent, event, 'resource event');
    this.#events.push({ ...input, seq: ++this.#seq });
    if (this.#events.length > this.#capacity) this.#events.shift();
    this.#feed.notify();
  }

  follow(query: EventQuery, signal: AbortSignal): AsyncIterable<RecordedEvent> {
    const feed = { subscribe: (listener: () => void) => this.#feed.subscribe(listener) };
    return followEventLog(this, { ...feed, isOpen: () => true }, query, signal);
  }

  /** Every kept event about the object, oldest first. */
  list(filter: { kind?: string; namespace?: string; name?: string } = {}): RecordedEvent[] {
    const query = parseInput(EventQuery, filter, 'event query');
    return this.#events.filter((e) => matchesEventQuery(e, query));
  }

  async query(query: EventQuery = {}): Promise<EventPage> {
    const parsed = parseInput(EventQuery, query, 'event query');
    const isNewestFirst = parsed.order === EventOrder.NewestFirst;
    const after = parsed.continue;
    const ordered = isNewestFirst ? [...this.#events].reverse() : this.#events;
    const matching = ordered.filter(
      (e) =>
        matchesEventQuery(e, parsed) &&
        (after === undefined || (isNewestFirst ? e.seq < after : e.seq > after)),
    );
    const items = matching.slice(0, parsed.limit);
    const last = items.at(-1);
    return matching.length > parsed.limit && last !== undefined
      ? { items, continue: last.seq }
      : { items };
  }
}
