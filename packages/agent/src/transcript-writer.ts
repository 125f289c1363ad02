/**
 * Writes the run's transcript: one {@link TranscriptEvent} per line of JSON Lines to a sink
 * (stdout), kept in memory too so the daemon's `GET /events` can replay it. `run.started` is the
 * first event and `run.finished` the last: once finished, the writer drops anything else.
 */
import {
  type RunUsage,
  type TranscriptEvent,
  type TranscriptEventInput,
  TranscriptEventType,
  transcriptEvent,
} from '@paddock/core';

type Listener = (event: TranscriptEvent, index: number) => void;

export class TranscriptWriter {
  readonly #write: (line: string) => void;
  readonly #now: () => Date;
  readonly #history: TranscriptEvent[] = [];
  readonly #listeners = new Set<Listener>();
  #finished: TranscriptEvent | undefined;

  /** `write` gets each line, newline included; `now` is the clock. */
  constructor(write: (line: string) => void, now: () => Date = () => new Date()) {
    this.#write = write;
    this.#now = now;
  }

  /** Stamps and writes one event; returns it (undefined once the run has finished). */
  emit<T extends TranscriptEventType>(input: TranscriptEventInput<T>): TranscriptEvent | undefined {
    if (this.#finished) return undefined;
    const event = transcriptEvent(input, this.#now());
    this.#history.push(event);
    if (event.type === TranscriptEventType.RunFinished) this.#finished = event;
    this.#write(`${JSON.stringify(event)}\n`);
    const index = this.#history.length;
    for (const listener of this.#listeners) listener(event, index);
    return event;
  }

  /** Shorthand for the `usage` event with running totals. */
  usage(usage: RunUsage): void {
    this.emit({ type: TranscriptEventType.Usage, usage });
  }

  /** Events written so far, numbered from 1 by position. */
  get history(): readonly TranscriptEvent[] {
    return this.#history;
  }

  get isFinished(): boolean {
    return this.#finished !== undefined;
  }

  /** Calls `listener` with each later event and its 1-based position; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
