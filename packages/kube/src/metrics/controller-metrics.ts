/** Labels of one series; every value here comes from a closed set (see each metric). */
export type MetricLabels = Readonly<Record<string, string>>;

/**
 * The part of the process's one Prometheus registry the controller's metrics are kept in. The
 * composition root passes its registry (the server's `Counter`, `Histogram` and `gauge`, once
 * they live in a package); this module defines names, labels and buckets, not a registry.
 */
export interface MetricsRegistry {
  counter(name: string, help: string): { inc(labels?: MetricLabels, by?: number): void };
  histogram(
    name: string,
    help: string,
    buckets: readonly number[],
  ): { observe(value: number, labels?: MetricLabels): void };
  /** A gauge read at scrape time. */
  gauge(name: string, help: string, read: () => Array<[MetricLabels, number]>): void;
}

/** How one reconcile ended, as the control kit reports it (`ControllerOptions.onReconcile`). */
export type ReconcileReport = { controller: string; result: string; durationMs: number };

/** One answer (or failed attempt: status 0) of the Kubernetes API, as the client reports it. */
export type ApiRequestReport = { method: string; path: string; status: number; watch?: boolean };

export type ControllerMetricsOptions = {
  /** The controllers' names: any other becomes `other`, so labels stay bounded. */
  controllers: readonly string[];
  /** Whether this process leads (the leader elector's `isLeader`). */
  isLeader?: () => boolean;
  /** Keys waiting per controller (the control kit's `ControllerManager.queueDepths`). */
  queueDepths?: () => Array<{ controller: string; depth: number }>;
  /** Events the recorder has waiting (its `depth`). */
  eventQueueDepth?: () => number;
};

const RESULTS = new Set(['success', 'error', 'conflict']);
const EVENT_OUTCOMES = new Set(['created', 'series', 'dropped', 'invalid', 'failed']);
/** Status codes kept as they are; others count by class (`2xx`, `4xx`, `5xx`). */
const CODES = new Set([200, 201, 400, 401, 403, 404, 409, 410, 422, 429, 500, 503, 504]);
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The controller's Prometheus metrics with bounded labels: reconciles (total, errors, duration) by
 * controller and result, queue depth, leadership, Kubernetes API requests by verb and code, and
 * events recorded by outcome.
 */
export class ControllerMetrics {
  readonly #controllers: ReadonlySet<string>;
  readonly #reconciles;
  readonly #errors;
  readonly #duration;
  readonly #requests;
  readonly #events;

  constructor(registry: MetricsRegistry, options: ControllerMetricsOptions) {
    this.#controllers = new Set(options.controllers);
    this.#reconciles = registry.counter(
      'paddock_controller_reconciles_total',
      'Reconciles by controller and result (success, error, conflict)',
    );
    this.#errors = registry.counter(
      'paddock_controller_reconcile_errors_total',
      'Reconciles that failed (and will be retried), by controller',
    );
    this.#duration = registry.histogram(
      'paddock_controller_reconcile_duration_seconds',
      'Time of one reconcile, by controller and result',
      SECONDS,
    );
    this.#requests = registry.counter(
      'paddock_kube_api_requests_total',
      'Kubernetes API requests by verb and status code (0: no answer)',
    );
    this.#events = registry.counter(
      'paddock_controller_events_total',
      'Kubernetes Events recorded, by outcome (created, series, dropped, invalid, failed)',
    );
    const { isLeader, queueDepths, eventQueueDepth } = options;
    if (isLeader !== undefined) {
      registry.gauge(
        'paddock_controller_leader',
        'Whether this process leads (1) or waits (0)',
        () => [[{}, isLeader() ? 1 : 0]],
      );
    }
    if (queueDepths !== undefined) {
      registry.gauge('paddock_controller_queue_depth', 'Keys waiting for a reconcile', () => {
        const byController = new Map<string, number>();
        for (const { controller, depth } of queueDepths()) {
          const name = this.#controller(controller);
          byController.set(name, (byController.get(name) ?? 0) + depth);
        }
        return [...byController].map(([controller, depth]) => [{ controller }, depth]);
      });
    }
    if (eventQueueDepth !== undefined) {
      registry.gauge('paddock_controller_event_queue_depth', 'Events waiting to be written', () => [
        [{}, eventQueueDepth()],
      ]);
    }
  }

  /** For `ControllerOptions.onReconcile` / `ControllerManager`'s `onReconcile`. */
  readonly onReconcile = (report: ReconcileReport): void => {
    const controller = this.#controller(report.controller);
    const result = RESULTS.has(report.result) ? report.result : 'other';
    this.#reconciles.inc({ controller, result });
    if (result === 'error') this.#errors.inc({ controller });
    this.#duration.observe(report.durationMs / 1000, { controller, result });
  };

  /** For the Kubernetes client's per-request hook. */
  readonly onApiRequest = (report: ApiRequestReport): void => {
    this.#requests.inc({ verb: verbOf(report), code: codeOf(report.status) });
  };

  /** For `KubeEventRecorderOptions.onOutcome`. */
  readonly onEvent = (outcome: string): void => {
    this.#events.inc({ outcome: EVENT_OUTCOMES.has(outcome) ? outcome : 'other' });
  };

  #controller(name: string): string {
    return this.#controllers.has(name) ? name : 'other';
  }
}

/** client-go's verbs: a GET of a collection is `list`, of one object `get`; watches `watch`. */
export function verbOf(report: ApiRequestReport): string {
  const method = report.method.toUpperCase();
  if (report.watch === true) return 'watch';
  const isCollection = segmentsAfterVersion(report.path).length % 2 === 1;
  switch (method) {
    case 'GET':
      return isCollection ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return isCollection ? 'deletecollection' : 'delete';
    default:
      return 'other';
  }
}

/**
 * The path below `/apis/<group>/<version>` or `/api/<version>`: `[namespaces, ns,] plural[,
 * name[, subresource]]`. A collection has an odd count once a namespace pair is taken off.
 */
function segmentsAfterVersion(path: string): string[] {
  const parts = (path.split('?')[0] ?? '').split('/').filter((part) => part !== '');
  const rest = parts[0] === 'apis' ? parts.slice(3) : parts[0] === 'api' ? parts.slice(2) : [];
  const resource = rest[0] === 'namespaces' && rest.length >= 3 ? rest.slice(2) : rest;
  // A subresource (`status`, `exec`) is an item's: drop it so an item stays even.
  return resource.length >= 3 ? resource.slice(0, 2) : resource;
}

export function codeOf(status: number): string {
  if (CODES.has(status)) return String(status);
  if (status >= 100 && status < 600) return `${Math.floor(status / 100)}xx`;
  return '0';
}
