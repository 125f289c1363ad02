/**
 * Events about a resource, as Kubernetes Events: what happened, for people reading a timeline.
 * The local implementation keeps them in memory (bounded); the server's persists them.
 */
export type ResourceEvent = {
  kind: string;
  namespace: string | undefined;
  name: string;
  uid: string | undefined;
  type: 'Normal' | 'Warning';
  /** A short CamelCase reason: `Admitted`, `ProvisionStep`, `Started`, `TimedOut`, … */
  reason: string;
  message: string;
  /** RFC 3339. */
  timestamp: string;
};

export interface EventRecorder {
  record(event: ResourceEvent): void | Promise<void>;
}

/** Keeps the newest `capacity` events in memory; `list` filters by object. */
export class MemoryEventRecorder implements EventRecorder {
  readonly #events: ResourceEvent[] = [];
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  record(event: ResourceEvent): void {
    this.#events.push(event);
    if (this.#events.length > this.#capacity) this.#events.shift();
  }

  list(filter: { kind?: string; namespace?: string; name?: string } = {}): ResourceEvent[] {
    return this.#events.filter(
      (e) =>
        (filter.kind === undefined || e.kind === filter.kind) &&
        (filter.namespace === undefined || e.namespace === filter.namespace) &&
        (filter.name === undefined || e.name === filter.name),
    );
  }
}
