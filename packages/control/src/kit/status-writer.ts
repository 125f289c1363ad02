import { isDeepStrictEqual } from 'node:util';
import {
  type AnyResource,
  type Condition,
  type EventRecorder,
  EventType,
  type ResourceStore,
} from '@paddock/core';

/** The status fields every lifecycle of `core` owns. */
export type LifecycleState = {
  phase: string;
  conditions: readonly Condition[];
  reason?: string | undefined;
  message?: string | undefined;
};

/**
 * A lifecycle machine of `core` as the status writer drives it: the pure `(state, event, now) →
 * state` of its transition table, the state of an object with no status yet, the closed set of
 * reasons its status and conditions carry, and which of its events a person should look at.
 */
export type Lifecycle<S extends LifecycleState, E extends { type: string }> = {
  initial: () => S;
  transition: (state: S, event: E, now: Date) => S;
  reasons: Readonly<Record<string, string>>;
  eventType: (event: E) => EventType;
};

/** An object whose `status` a lifecycle owns. */
export type StatusObject<S> = AnyResource & { status?: S | undefined };

export type StatusWriterDeps = { store: ResourceStore; events: EventRecorder; now: () => Date };

/**
 * Writes the status of one kind: every write is conditional on the resourceVersion of the object
 * passed in (a stale one is a `conflict`, for the caller's queue to retry with the object read
 * again, before any event is recorded) and stamps `observedGeneration`.
 */
export class StatusWriter<
  T extends StatusObject<S>,
  S extends LifecycleState,
  E extends { type: string },
> {
  readonly #lifecycle: Lifecycle<S, E>;
  readonly #deps: StatusWriterDeps;

  constructor(lifecycle: Lifecycle<S, E>, deps: StatusWriterDeps) {
    this.#lifecycle = lifecycle;
    this.#deps = deps;
  }

  /** The object's status, or the lifecycle's initial state when none is written yet. */
  current(object: T): S {
    return object.status ?? this.#lifecycle.initial();
  }

  /**
   * Applies `events` in order with the lifecycle (an event it refuses throws
   * `invalid_transition`, and nothing is written), writes the status with `patch` once, then
   * records exactly one event per transition that changed the status; an idempotent repeat
   * records none. Each event's message is the status message after all of them.
   */
  async transition(object: T, events: readonly E[], patch: Partial<S> = {}): Promise<T> {
    const now = this.#deps.now();
    const before = this.current(object);
    let status: S = { ...before, ...patch };
    const changes: E[] = [];
    for (const event of events) {
      const next = this.#lifecycle.transition(status, event, now);
      if (!isDeepStrictEqual(next, status)) changes.push(event);
      status = next;
    }
    this.#checkReasons(before, status);
    const written = await this.#write(object, status);
    // Recorded in order, together: one commit (and one sync) for all of them, not one each.
    await Promise.all(
      changes.map((event) =>
        this.note(object, event.type, status.message ?? '', this.#lifecycle.eventType(event)),
      ),
    );
    return written;
  }

  /**
   * Writes status fields outside the lifecycle (activity, usage): no event. Writes nothing, and
   * returns the object as it is, when nothing would change.
   */
  async patch(object: T, patch: Partial<S>): Promise<T> {
    const status: S = { ...this.current(object), ...patch };
    if (
      object.status !== undefined &&
      isDeepStrictEqual(this.#stamped(object, status), object.status)
    )
      return object;
    return this.#write(object, status);
  }

  /** Records an event about the object that is not a transition (a provisioning step, a restart). */
  async note(
    object: T,
    reason: string,
    message: string,
    type: EventType = EventType.Normal,
  ): Promise<void> {
    await this.#deps.events.record({
      kind: object.kind,
      namespace: object.metadata.namespace,
      name: object.metadata.name ?? '',
      uid: object.metadata.uid,
      type,
      reason,
      message,
      timestamp: this.#deps.now().toISOString(),
    });
  }

  async #write(object: T, status: S): Promise<T> {
    if (object.metadata.resourceVersion === undefined)
      throw new Error(
        `${object.kind} ${object.metadata.name}: a status write needs the version read`,
      );
    return this.#deps.store.updateStatus({ ...object, status: this.#stamped(object, status) });
  }

  #stamped(object: T, status: S): S {
    return { ...status, observedGeneration: object.metadata.generation ?? 1 };
  }

  /** What the transitions wrote must come from the lifecycle's closed set of reasons. */
  #checkReasons(before: S, after: S): void {
    const reasons = Object.values(this.#lifecycle.reasons);
    const changed = after.conditions.filter(
      (c) => !before.conditions.some((b) => isDeepStrictEqual(b, c)),
    );
    const written = [
      after.reason === before.reason ? undefined : after.reason,
      ...changed.map((c) => c.reason),
    ];
    const unknown = written.filter((r) => r !== undefined && !reasons.includes(r));
    if (unknown.length > 0)
      throw new Error(`${unknown.join(', ')}: not in the lifecycle's closed set of reasons`);
  }
}
