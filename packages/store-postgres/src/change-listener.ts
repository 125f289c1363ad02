import { ChangeFeed } from '@paddock/core';
import pg from 'pg';

/** The NOTIFY channels of the logs: one per log table. */
export const Channel = {
  Events: 'paddock_events',
  RunEvents: 'paddock_run_events',
  Audit: 'paddock_audit',
} as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

/** A notification's kind: rows were added up to `seq`, or the stream (a run's log) was removed. */
export const ChangeOp = { Added: 'added', Removed: 'removed' } as const;
export type ChangeOp = (typeof ChangeOp)[keyof typeof ChangeOp];

/** One change as it travels in a NOTIFY payload: `<instance> <op> <seq> <key>`. */
export type Change = { instance: string; op: ChangeOp; seq: number; key: string };

export function encodeChange(change: Change): string {
  return `${change.instance} ${change.op} ${change.seq} ${change.key}`;
}

function decodeChange(payload: string): Change | undefined {
  const match = /^(\S+) (added|removed) (\d+) (.*)$/s.exec(payload);
  if (match === null) return undefined;
  const [, instance = '', op, seq = '0', key = ''] = match;
  return {
    instance,
    op: op === 'removed' ? ChangeOp.Removed : ChangeOp.Added,
    seq: Number(seq),
    key,
  };
}

/** How many streams (runs) the highest known `seq` is remembered for. */
const MAX_KNOWN_STREAMS = 10_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * Wakes followers when a log grows, in this process and across replicas. A writer calls
 * `pg_notify` inside its transaction (PostgreSQL delivers it at commit, to every session that
 * LISTENs, on every replica) and `wake` right after its commit (this process's followers, within
 * the same turn). One dedicated connection LISTENs on every channel; notifications of this
 * instance's own writes are skipped (already woken). Feeds are per channel and key (a run uid;
 * '' for the global logs). When the connection drops it reconnects with backoff and then wakes
 * every follower, whose read catches up on whatever committed meanwhile.
 */
export class ChangeListener {
  readonly instance: string;
  readonly #config: pg.ClientConfig;
  readonly #feeds = new Map<string, ChangeFeed>();
  readonly #highest = new Map<string, number>();
  readonly #removed = new Set<(channel: Channel, key: string) => void>();
  #client: pg.Client | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #delayMs = RECONNECT_MIN_MS;
  #isOpen = true;

  constructor(config: pg.ClientConfig, instance: string) {
    this.#config = config;
    this.instance = instance;
  }

  /** Connects and LISTENs; throws (the caller translates) when the database cannot be reached. */
  async start(): Promise<void> {
    const client = new pg.Client(this.#config);
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', (message) => this.#received(message.channel, message.payload));
    await client.connect();
    try {
      for (const channel of Object.values(Channel)) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (!this.#isOpen) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#delayMs = RECONNECT_MIN_MS;
  }

  /** Calls `listener` after each commit to the stream `key` of `channel`, until unsubscribed. */
  subscribe(channel: Channel, key: string, listener: () => void): () => void {
    const id = `${channel}\0${key}`;
    let feed = this.#feeds.get(id);
    if (feed === undefined) {
      feed = new ChangeFeed();
      this.#feeds.set(id, feed);
    }
    const unsubscribe = feed.subscribe(listener);
    return () => {
      unsubscribe();
      if (feed.size === 0 && this.#feeds.get(id) === feed) this.#feeds.delete(id);
    };
  }

  /** Called with each stream another instance removed (so caches of it can be dropped). */
  onRemoved(listener: (channel: Channel, key: string) => void): void {
    this.#removed.add(listener);
  }

  /** Records that the stream grew to `seq` and wakes its followers in this process. */
  wake(channel: Channel, key: string, seq: number): void {
    this.#raise(channel, key, seq);
    this.#feeds.get(`${channel}\0${key}`)?.notify();
  }

  /** The highest `seq` of the stream this instance knows committed (its own and notified). */
  highestKnown(channel: Channel, key: string): number {
    return this.#highest.get(`${channel}\0${key}`) ?? 0;
  }

  /** Forgets the stream's highest `seq` (it was removed). */
  forget(channel: Channel, key: string): void {
    this.#highest.delete(`${channel}\0${key}`);
  }

  /** Number of subscriptions in progress. */
  get size(): number {
    let total = 0;
    for (const feed of this.#feeds.values()) total += feed.size;
    return total;
  }

  /** Stops listening and wakes every follower (which then sees the log closed and ends). */
  async close(): Promise<void> {
    this.#isOpen = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#wakeAll();
    this.#feeds.clear();
    await client?.end().catch(() => {});
  }

  #raise(channel: Channel, key: string, seq: number): void {
    const id = `${channel}\0${key}`;
    const known = this.#highest.get(id) ?? 0;
    if (seq <= known && this.#highest.has(id)) return;
    this.#highest.delete(id);
    this.#highest.set(id, Math.max(seq, known));
    if (this.#highest.size > MAX_KNOWN_STREAMS) {
      const oldest = this.#highest.keys().next().value;
      if (oldest !== undefined) this.#highest.delete(oldest);
    }
  }

  #received(name: string, payload: string | undefined): void {
    const channel = Object.values(Channel).find((c) => c === name);
    const change = decodeChange(payload ?? '');
    if (channel === undefined || change === undefined || change.instance === this.instance) return;
    if (change.op === ChangeOp.Removed) {
      this.forget(channel, change.key);
      for (const listener of this.#removed) listener(channel, change.key);
    }
    this.wake(channel, change.key, change.seq);
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    client.end().catch(() => {});
    this.#reconnectSoon();
  }

  #reconnectSoon(): void {
    if (!this.#isOpen || this.#timer !== undefined) return;
    const delayMs = this.#delayMs;
    this.#delayMs = Math.min(delayMs * 2, RECONNECT_MAX_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.start().then(
        // Whatever committed while no one listened: every follower reads again.
        () => this.#wakeAll(),
        () => this.#reconnectSoon(),
      );
    }, delayMs);
  }

  #wakeAll(): void {
    for (const feed of [...this.#feeds.values()]) feed.notify();
  }
}
