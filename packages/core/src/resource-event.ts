import { z } from 'zod';
import { type FollowSource, followLog } from './change-feed.ts';
import { ErrorCode, PaddockError } from './errors.ts';
import { Timestamp } from './metadata.ts';
import { parseInput } from './validation.ts';

/** Whether an event reports ordinary progress or something a person should look at. */
export const EventType = { Normal: 'Normal', Warning: 'Warning' } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/**
 * An event about a resource, as a Kubernetes Event: what happened, for people reading a timeline.
 * `namespace` is absent for cluster-scoped kinds; `uid` is absent when the event is about a
 * name rather than one incarnation of the object (a warm pool of a template, say).
 */
export const ResourceEvent = z.strictObject({
  kind: z.string().min(1).max(100),
  namespace: z.string().min(1).max(253).optional(),
  name: z.string().max(253),
  uid: z.string().min(1).max(200).optional(),
  type: z.enum(EventType),
  /** A short CamelCase reason: `Admitted`, `ProvisionStep`, `Started`, `TimedOut`, … */
  reason: z.string().min(1).max(128),
  message: z.string(),
  /** RFC 3339 with an offset. */
  timestamp: Timestamp,
});
export type ResourceEvent = z.infer<typeof ResourceEvent>;

/**
 * An event as an event log returns it: `seq` is its position in the log, increasing in the order
 * the events were recorded (also for events with equal or out-of-order timestamps), never reused.
 */
export type RecordedEvent = ResourceEvent & { seq: number };

/** Reading order of `EventLog.query`: by `seq`, oldest first (a timeline) or newest first. */
export const EventOrder = { OldestFirst: 'oldest-first', NewestFirst: 'newest-first' } as const;
export type EventOrder = (typeof EventOrder)[keyof typeof EventOrder];

/** Upper bound of `EventQuery.limit`; the default page size is 100. */
export const MAX_EVENT_PAGE = 1000;

/**
 * Filters of `EventLog.query`, combined with AND: the object (`kind`, `namespace`, `name`, `uid`;
 * an event without a `uid` never matches a `uid` filter) and `since`, inclusive, on the event's
 * own timestamp. `continue` is the `continue` of a previous page with the same filters and
 * order: the page starts strictly past that event. Oldest first, `continue` is also how a
 * watcher resumes after the last `seq` it saw.
 */
export const EventQuery = z.strictObject({
  kind: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  uid: z.string().min(1).optional(),
  since: Timestamp.optional(),
  order: z.enum(EventOrder).default(EventOrder.OldestFirst),
  limit: z.int().min(1).max(MAX_EVENT_PAGE).default(100),
  continue: z.int().min(0).optional(),
});
export type EventQuery = z.input<typeof EventQuery>;

export type EventPage = {
  items: RecordedEvent[];
  /** The `seq` to pass as `continue` for the next page; present when more events match. */
  continue?: number;
};

/**
 * Where controllers report events. `record` validates the event (`validation_failed`) and
 * resolves once it is kept (for a durable log: committed).
 */
export interface EventRecorder {
  record(event: ResourceEvent): void | Promise<void>;
}

/**
 * An event recorder that can be read back (in memory for tests; SQLite for `paddock up`). It keeps
 * a bounded history (its retention); `query` pages through what is kept, in `seq` order, and
 * rejects bad filters with `validation_failed`.
 */
export interface EventLog extends EventRecorder {
  query(query?: EventQuery): Promise<EventPage>;
  /**
   * The events matching `query`'s filters after `query.continue` (from the oldest kept one when
   * absent), oldest first, then each new one as soon as its `record` commits (pushed, never
   * polled), until `signal` aborts; the iterator then ends without an error, as it does when the
   * log closes. `limit` is the size of each read; `order` must be oldest-first. A bad query is
   * `validation_failed` on the first `next()`.
   */
  follow(query: EventQuery, signal: AbortSignal): AsyncIterable<RecordedEvent>;
}

/**
 * `EventLog.follow` for a log that can `query` and has a feed woken after each commit: both
 * implementations (memory, SQLite) follow the same way, so they cannot drift apart.
 */
export async function* followEventLog(
  log: Pick<EventLog, 'query'>,
  feed: Omit<FollowSource<RecordedEvent>, 'read'>,
  query: EventQuery,
  signal: AbortSignal,
): AsyncGenerator<RecordedEvent, void, undefined> {
  const { continue: after = 0, ...filters } = parseInput(EventQuery, query, 'event follow query');
  if (filters.order !== EventOrder.OldestFirst) {
    throw new PaddockError(ErrorCode.ValidationFailed, 'invalid event follow query: order', {
      issues: [{ path: 'order', message: `must be ${EventOrder.OldestFirst}` }],
    });
  }
  const read = async (position: number) => {
    const page = await log.query({ ...filters, continue: position });
    return {
      items: page.items,
      next: page.items.at(-1)?.seq ?? position,
      hasMore: page.continue !== undefined,
    };
  };
  yield* followLog({ ...feed, read }, after, signal);
}

/** Whether `event` matches the object and time filters of a parsed `query` (not the cursor). */
export function matchesEventQuery(
  event: ResourceEvent,
  query: z.output<typeof EventQuery>,
): boolean {
  return (
    (query.kind === undefined || event.kind === query.kind) &&
    (query.namespace === undefined || event.namespace === query.namespace) &&
    (query.name === undefined || event.name === query.name) &&
    (query.uid === undefined || event.uid === query.uid) &&
    (query.since === undefined || Date.parse(event.timestamp) >= Date.parse(query.since))
  );
}
