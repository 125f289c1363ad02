import { isPaddockError } from '@paddock/core';
import type { KubeClient } from '../client/kube-client.ts';
import { type Lease, LeaseLock, type LeaseSpec, microTime } from './lease-lock.ts';

export type LeaderElectionOptions = {
  client: KubeClient;
  /** Where the Lease lives (the controller's own namespace). */
  namespace: string;
  name: string;
  /** This candidate, unique among the candidates: the pod name, say. At most 128 characters. */
  identity: string;
  /** How long others wait, from the last renew they saw, before taking over (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failing renew before it gives up (default 10 s). */
  renewDeadlineMs?: number;
  /** Between renews, and between attempts to acquire (those with jitter) (default 2 s). */
  retryPeriodMs?: number;
  /**
   * Whether stopping through the signal hands the Lease back (clears holderIdentity) so another
   * candidate takes over at once instead of after the lease duration (default true).
   */
  releaseOnCancel?: boolean;
  log?: (line: string) => void;
};

export type LeaderCallbacks = {
  /**
   * This candidate leads: do the work until `signal` aborts (leadership lost or the election
   * stopped). The election waits for the promise returned before it releases the Lease.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Leadership ended (only called after onStartedLeading). */
  onStoppedLeading?(): void;
  /** The holder this candidate sees changed (its own identity included; '' when free). */
  onNewLeader?(identity: string): void;
};

export const LEADER_ELECTION_DEFAULTS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
} as const;

/** client-go's jitter of acquire attempts: a retry period plus up to 1.2 of another. */
const JITTER = 1.2;

type Attempt = 'ok' | 'held' | 'failed';

/**
 * Leader election through a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does
 * it: a candidate takes the Lease when it is free or its holder has not renewed it for the lease
 * duration (measured on this candidate's clock from when it saw the last change, so clocks need
 * not agree), renews it every retry period, gives leadership up when renewing has failed for the
 * renew deadline or another holder is seen, and hands it back on a clean stop. Every write
 * carries the resourceVersion read, so two candidates never both win; leaseTransitions counts
 * the changes of holder.
 *
 * One election is one term: `run` returns when leadership ends (the process should then exit and
 * start again, as client-go's controllers do) or when its signal aborts.
 */
export class LeaderElector {
  readonly identity: string;
  readonly #lock: LeaseLock;
  readonly #client: KubeClient;
  readonly #callbacks: LeaderCallbacks;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #releaseOnCancel: boolean;
  readonly #log: (line: string) => void;
  /** The Lease as last read or written, and when (monotonic) its spec was first seen so. */
  #lease: Lease | undefined;
  #observedSpec = '';
  #observedAt = 0;
  #holder: string | undefined;
  #leading = false;
  #wake: (() => void) | undefined;

  constructor(options: LeaderElectionOptions, callbacks: LeaderCallbacks) {
    const leaseDurationMs = options.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs;
    const renewDeadlineMs = options.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs;
    const retryPeriodMs = options.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs;
    if (!(leaseDurationMs > renewDeadlineMs)) {
      throw new RangeError('leader election: the lease duration must exceed the renew deadline');
    }
    if (!(renewDeadlineMs > JITTER * retryPeriodMs) || retryPeriodMs <= 0) {
      throw new RangeError(
        `leader election: the renew deadline must exceed ${JITTER} × the retry period`,
      );
    }
    if (leaseDurationMs % 1000 !== 0) {
      throw new RangeError('leader election: the lease duration is whole seconds');
    }
    if (options.identity === '' || options.identity.length > 128) {
      throw new RangeError('leader election: the identity is 1 to 128 characters');
    }
    this.identity = options.identity;
    this.#client = options.client;
    this.#lock = new LeaseLock(options.client, options.namespace, options.name);
    this.#callbacks = callbacks;
    this.#leaseDurationMs = leaseDurationMs;
    this.#renewDeadlineMs = renewDeadlineMs;
    this.#retryPeriodMs = retryPeriodMs;
    this.#releaseOnCancel = options.releaseOnCancel ?? true;
    this.#log = options.log ?? (() => {});
  }

  /** Whether this candidate leads now. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** The holder this candidate saw last ('' when the Lease is free; undefined before a read). */
  get leader(): string | undefined {
    return this.#holder;
  }

  /**
   * Waits to acquire the Lease, leads (calling `onStartedLeading`) while renewing it, and
   * returns when leadership is lost or `signal` aborts (releasing the Lease when it led and
   * `releaseOnCancel`).
   */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.#acquire(signal))) return;
    const leading = new AbortController();
    this.#leading = true;
    this.#log(`leader election ${this.#lock.name}: ${this.identity} leads`);
    const work = (async () => this.#callbacks.onStartedLeading(leading.signal))().catch(
      (error: unknown) => this.#log(`leader election: onStartedLeading: ${String(error)}`),
    );
    try {
      await this.#renewLoop(signal);
    } finally {
      this.#leading = false;
      leading.abort(new Error('leadership ended'));
      await work;
      if (signal.aborted && this.#releaseOnCancel) await this.#release();
      this.#log(`leader election ${this.#lock.name}: ${this.identity} stopped leading`);
      this.#callbacks.onStoppedLeading?.();
    }
  }

  /** Tries until the Lease is ours (true) or `signal` aborts (false). */
  async #acquire(signal: AbortSignal): Promise<boolean> {
    const watching = new AbortController();
    const stopWatch = () => watching.abort();
    signal.addEventListener('abort', stopWatch, { once: true });
    void this.#watchForRelease(watching.signal);
    try {
      for (;;) {
        if (signal.aborted) return false;
        if ((await this.#tryAcquireOrRenew(signal)) === 'ok') return !signal.aborted;
        await this.#sleep(this.#retryPeriodMs * (1 + Math.random() * JITTER), signal);
      }
    } finally {
      signal.removeEventListener('abort', stopWatch);
      watching.abort();
    }
  }

  /**
   * Wakes the acquire loop as soon as the Lease is handed back or deleted, so a clean release
   * is taken over at once rather than at the next attempt. Best effort: polling still runs.
   */
  async #watchForRelease(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const events = this.#client.watch(
          this.#lock.collection,
          { fieldSelector: `metadata.name=${this.#lock.name}` },
          signal,
        );
        for await (const event of events) {
          const spec = (event.object as Lease).spec;
          if (event.type === 'DELETED' || (event.type !== 'BOOKMARK' && !spec?.holderIdentity)) {
            this.#wake?.();
          }
        }
      } catch {
        // The watch is an optimisation: on an error, wait a retry period and open it again.
      }
      await this.#sleep(this.#retryPeriodMs, signal, false);
    }
  }

  /** Renews every retry period; returns when renewing failed past the deadline or on abort. */
  async #renewLoop(signal: AbortSignal): Promise<void> {
    for (;;) {
      await this.#sleep(this.#retryPeriodMs, signal);
      if (signal.aborted) return;
      const deadline = performance.now() + this.#renewDeadlineMs;
      for (;;) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          this.#log(`leader election ${this.#lock.name}: renew deadline passed`);
          return;
        }
        const attempt = await this.#tryAcquireOrRenew(
          AbortSignal.any([signal, AbortSignal.timeout(Math.ceil(remaining))]),
        );
        if (signal.aborted) return;
        if (attempt === 'ok') break;
        if (attempt === 'held') {
          this.#log(`leader election ${this.#lock.name}: ${this.#holder} holds the lease now`);
          return;
        }
        await this.#sleep(Math.min(this.#retryPeriodMs, remaining), signal);
      }
    }
  }

  /** One attempt: create the Lease, renew ours, or take a free or expired one. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<Attempt> {
    const now = Date.now();
    // The fast path of a leader: write from the Lease it wrote last; a conflict reads it again.
    if (this.#leading && this.#lease !== undefined && this.#holds(this.#lease)) {
      const renewed = await this.#write(this.#lease, this.#next(this.#lease.spec, now), signal);
      if (renewed === 'ok' || signal.aborted) return renewed;
    }
    let current: Lease;
    try {
      current = await this.#lock.get(signal);
    } catch (error) {
      if (!isPaddockError(error, 'not_found')) return this.#failed('read', error);
      try {
        this.#observe(await this.#lock.create(this.#next(undefined, now), signal));
        return 'ok';
      } catch (createError) {
        return this.#failed('create', createError);
      }
    }
    this.#observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const expiresAt = this.#observedAt + (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== this.identity && expiresAt > performance.now()) return 'held';
    return this.#write(current, this.#next(spec, now), signal);
  }

  /** The spec this candidate writes to hold the Lease, from the `current` one. */
  #next(current: LeaseSpec | undefined, now: number): LeaseSpec {
    const ours = current?.holderIdentity === this.identity;
    return {
      ...current,
      holderIdentity: this.identity,
      leaseDurationSeconds: this.#leaseDurationMs / 1000,
      acquireTime: ours ? (current?.acquireTime ?? microTime(now)) : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (current?.leaseTransitions ?? 0) + (ours || current === undefined ? 0 : 1),
    };
  }

  async #write(current: Lease, spec: LeaseSpec, signal: AbortSignal): Promise<Attempt> {
    try {
      this.#observe(await this.#lock.update(current, spec, signal));
      return 'ok';
    } catch (error) {
      return this.#failed('update', error);
    }
  }

  #failed(what: string, error: unknown): Attempt {
    if (!isPaddockError(error, 'conflict') && !isPaddockError(error, 'already_exists')) {
      this.#log(`leader election ${this.#lock.name}: ${what}: ${(error as Error).message}`);
    }
    return 'failed';
  }

  #holds(lease: Lease): boolean {
    return lease.spec?.holderIdentity === this.identity;
  }

  /** Notes the Lease read or written; a changed spec restarts the expiry clock. */
  #observe(lease: Lease): void {
    this.#lease = lease;
    const spec = JSON.stringify(lease.spec ?? {});
    if (spec !== this.#observedSpec) {
      this.#observedSpec = spec;
      this.#observedAt = performance.now();
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.#holder) {
      this.#holder = holder;
      this.#callbacks.onNewLeader?.(holder);
    }
  }

  /** Hands the Lease back: holderIdentity cleared, so the next candidate need not wait. */
  async #release(): Promise<void> {
    const lease = this.#lease;
    if (lease === undefined || !this.#holds(lease)) return;
    const now = microTime(Date.now());
    const signal = AbortSignal.timeout(this.#renewDeadlineMs);
    const spec: LeaseSpec = {
      ...lease.spec,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
    };
    try {
      this.#observe(await this.#lock.update(lease, spec, signal));
    } catch (error) {
      this.#log(`leader election ${this.#lock.name}: release: ${(error as Error).message}`);
    }
  }

  /** Waits `ms`, or until `signal` aborts, or (`wakeable`) until the acquire watch wakes it. */
  #sleep(ms: number, signal: AbortSignal, wakeable = true): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      if (wakeable) this.#wake = done;
    });
  }
}

/**
 * Runs one term of leader election (see {@link LeaderElector}) until leadership ends or
 * `signal` aborts.
 */
export function runLeaderElection(
  options: LeaderElectionOptions & { signal: AbortSignal },
  callbacks: LeaderCallbacks,
): Promise<void> {
  return new LeaderElector(options, callbacks).run(options.signal);
}
