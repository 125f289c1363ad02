import { API_VERSION, type EventRecorder, isPaddockError, ResourceEvent } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import { microTime } from '../leader/lease-lock.ts';

/** `reportingController` of every Event Paddock's controller writes. */
export const REPORTING_CONTROLLER = 'paddock.dev/controller';

/** The API's limit on `note`, in bytes. */
export const NOTE_LIMIT_BYTES = 1024;

/** What became of one recorded event (for metrics: a closed set). */
export type EventOutcome = 'created' | 'series' | 'dropped' | 'invalid' | 'failed';

export type KubeEventRecorderOptions = {
  client: KubeClient;
  /** `reportingInstance`: this controller process (its leader election identity). */
  instance: string;
  /** `reportingController` (default `paddock.dev/controller`). */
  controller?: string;
  /** `action` of an event (default `Reconcile`: what the controller was doing). */
  actionOf?: (event: ResourceEvent) => string;
  /** Events waiting to be written; more are dropped and counted (default 1000). */
  queueSize?: number;
  /** A repeat within this long of the last one updates its Event's series (default 6 min). */
  seriesWindowMs?: number;
  /** Distinct (object, type, reason, note) remembered for series (default 4096). */
  cacheSize?: number;
  /** Each write's time limit (default 10 s). */
  timeoutMs?: number;
  log?: (line: string) => void;
  onOutcome?: (outcome: EventOutcome) => void;
};

/** The `events.k8s.io/v1` Event the recorder writes (the fields it sets). */
export type KubeEvent = {
  apiVersion: 'events.k8s.io/v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  type: string;
  note: string;
  regarding: { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string };
  series?: { count: number; lastObservedTime: string };
};

type Series = { namespace: string; name: string; count: number; lastObservedAt: number };

/**
 * An `EventRecorder` that writes `events.k8s.io/v1` Events, as client-go's recorder does:
 * `regarding` the Paddock object, reported by `paddock.dev/controller` and this instance; a
 * repeat of the same (object, type, reason, note) within the series window updates the first
 * Event's `series` (count, lastObservedTime) instead of adding one. Recording never blocks or
 * fails the caller: events wait in a bounded queue, written one at a time; an invalid event, a
 * full queue or a failed write is logged and counted (`stats`), never thrown.
 */
export class KubeEventRecorder implements EventRecorder {
  readonly #client: KubeClient;
  readonly #instance: string;
  readonly #controller: string;
  readonly #actionOf: (event: ResourceEvent) => string;
  readonly #queueSize: number;
  readonly #seriesWindowMs: number;
  readonly #cacheSize: number;
  readonly #timeoutMs: number;
  readonly #log: (line: string) => void;
  readonly #onOutcome: (outcome: EventOutcome) => void;
  readonly #queue: ResourceEvent[] = [];
  /** Series by key, least recently used first (a Map keeps insertion order). */
  readonly #series = new Map<string, Series>();
  readonly #counts: Record<EventOutcome, number> = {
    created: 0,
    series: 0,
    dropped: 0,
    invalid: 0,
    failed: 0,
  };
  readonly #idle: Array<() => void> = [];
  #running = false;
  #closed = false;
  #sequence = 0;

  constructor(options: KubeEventRecorderOptions) {
    this.#client = options.client;
    this.#instance = options.instance.slice(0, 128);
    this.#controller = options.controller ?? REPORTING_CONTROLLER;
    this.#actionOf = options.actionOf ?? (() => 'Reconcile');
    this.#queueSize = options.queueSize ?? 1000;
    this.#seriesWindowMs = options.seriesWindowMs ?? 6 * 60_000;
    this.#cacheSize = options.cacheSize ?? 4096;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#log = options.log ?? (() => {});
    this.#onOutcome = options.onOutcome ?? (() => {});
  }

  /** Queues `event` for writing and returns at once. */
  record(event: ResourceEvent): void {
    const parsed = ResourceEvent.safeParse(event);
    if (!parsed.success) {
      this.#count('invalid');
      this.#log(`event recorder: invalid event dropped: ${parsed.error.message}`);
      return;
    }
    if (this.#closed || this.#queue.length >= this.#queueSize) {
      if (this.#counts.dropped === 0) this.#log('event recorder: queue full, dropping events');
      this.#count('dropped');
      return;
    }
    this.#queue.push(parsed.data);
    if (!this.#running) {
      this.#running = true;
      queueMicrotask(() => void this.#drain());
    }
  }

  /** Events waiting to be written. */
  get depth(): number {
    return this.#queue.length;
  }

  /** How many events ended each way so far. */
  stats(): Readonly<Record<EventOutcome, number>> {
    return { ...this.#counts };
  }

  /** Resolves once every queued event is written (or failed). */
  flush(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Takes no more events and writes those queued. */
  close(): Promise<void> {
    this.#closed = true;
    return this.flush();
  }

  async #drain(): Promise<void> {
    for (let event = this.#queue.shift(); event !== undefined; event = this.#queue.shift()) {
      try {
        this.#count(await this.#write(event));
      } catch (error) {
        this.#count('failed');
        this.#log(
          `event recorder: ${event.kind} ${event.namespace ?? ''}/${event.name} ${event.reason}: ${(error as Error).message}`,
        );
      }
    }
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #write(event: ResourceEvent): Promise<EventOutcome> {
    const key = JSON.stringify([
      event.kind,
      event.namespace,
      event.name,
      event.uid,
      event.type,
      event.reason,
      event.message,
    ]);
    const at = Date.parse(event.timestamp);
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const known = this.#series.get(key);
    if (known !== undefined && at - known.lastObservedAt <= this.#seriesWindowMs) {
      this.#series.delete(key);
      this.#series.set(key, known);
      const series = { count: known.count + 1, lastObservedTime: microTime(at) };
      try {
        await this.#client.request('PATCH', `${collection(known.namespace)}/${known.name}`, {
          body: { series },
          contentType: 'application/merge-patch+json',
          signal,
        });
        known.count = series.count;
        known.lastObservedAt = at;
        return 'series';
      } catch (error) {
        // The Event expired (or was deleted): start a new one below.
        if (!isPaddockError(error, 'not_found')) throw error;
      }
    }
    const body = this.#eventOf(event);
    await this.#client.request('POST', collection(body.metadata.namespace), { body, signal });
    this.#remember(key, {
      namespace: body.metadata.namespace,
      name: body.metadata.name,
      count: 1,
      lastObservedAt: at,
    });
    return 'created';
  }

  #eventOf(event: ResourceEvent): KubeEvent {
    const namespace = event.namespace ?? 'default';
    const base = (event.name === '' ? event.kind.toLowerCase() : event.name).slice(0, 253 - 17);
    // client-go names an Event `<object>.<nanoseconds in hex>`; the sequence keeps two events
    // of one millisecond apart.
    const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(this.#sequence++ % 1_000_000);
    return {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${base}.${nanos.toString(16)}`, namespace },
      eventTime: microTime(Date.parse(event.timestamp)),
      reportingController: this.#controller,
      reportingInstance: this.#instance,
      action: this.#actionOf(event).slice(0, 128),
      reason: event.reason,
      type: event.type,
      note: truncateNote(event.message),
      regarding: {
        apiVersion: API_VERSION,
        kind: event.kind,
        name: event.name,
        ...(event.namespace === undefined ? {} : { namespace: event.namespace }),
        ...(event.uid === undefined ? {} : { uid: event.uid }),
      },
    };
  }

  #remember(key: string, series: Series): void {
    this.#series.delete(key);
    this.#series.set(key, series);
    while (this.#series.size > this.#cacheSize) {
      const oldest = this.#series.keys().next().value;
      if (oldest === undefined) break;
      this.#series.delete(oldest);
    }
  }

  #count(outcome: EventOutcome): void {
    this.#counts[outcome] += 1;
    this.#onOutcome(outcome);
  }
}

function collection(namespace: string): string {
  return `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`;
}

/** `note` cut to the API's 1 KiB, on a character boundary, marked with an ellipsis. */
export function truncateNote(note: string): string {
  const bytes = Buffer.from(note, 'utf8');
  if (bytes.length <= NOTE_LIMIT_BYTES) return note;
  const ellipsis = '…';
  let end = NOTE_LIMIT_BYTES - Buffer.byteLength(ellipsis);
  // Back off the continuation bytes (10xxxxxx) of a character cut in two.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + ellipsis;
}
