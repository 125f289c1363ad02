import { createServer } from 'node:http';
import { type SandboxController, startSandboxController } from '@paddock/control';
import type { SandboxRuntime } from '@paddock/core';
import { closeServer, listen, MetricsRegistry } from '@paddock/http';
import {
  CONTROLLER_LEASE,
  ControllerMetrics,
  type KubeClient,
  KubeEventRecorder,
  KubeStore,
  LeaderElector,
} from '@paddock/kube';

export type KubeControllerOptions = {
  client: KubeClient;
  runtime: SandboxRuntime;
  /** This candidate's name in the Lease and in its Events' `reportingInstance`. */
  identity: string;
  /** Where the Lease lives. */
  namespace: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** Where `/metrics`, `/healthz` and `/readyz` listen (port 0: any free one). */
  metricsAddr: { host: string; port: number };
  /** Every sandbox is reconciled again this often, whatever changed (default 30 s). */
  resyncMs?: number;
  /**
   * Whether `stop` hands the Lease back so a standby takes over at once (default true); false
   * leaves it to expire, as when the process dies.
   */
  releaseOnStop?: boolean;
  log: (line: string) => void;
};

export type KubeController = {
  /** Where `/metrics`, `/healthz` and `/readyz` answer. */
  metricsUrl: string;
  isLeader(): boolean;
  /** The reconcilers, while this candidate leads. */
  sandboxes(): SandboxController | undefined;
  /** Resolves when this term ends: leadership lost (the process should exit) or `stop`. */
  ended: Promise<void>;
  /** Stops reconciling, hands the Lease back, flushes events and stops listening. */
  stop(): Promise<void>;
};

/**
 * The Kubernetes controller of one process: a candidate in the leader election; while it leads,
 * the same sandbox reconcilers as `paddock up` (the control plane's controller kit) on the
 * Kubernetes store, with a Kubernetes Event for every transition they record; Prometheus
 * metrics and health on `metricsAddr` all along. One call is one term, as with client-go.
 */
export async function startKubeController(options: KubeControllerOptions): Promise<KubeController> {
  const { client, runtime, identity, log } = options;
  const registry = new MetricsRegistry();
  const store = new KubeStore(client);
  let sandboxes: SandboxController | undefined;
  const events: KubeEventRecorder = new KubeEventRecorder({
    client,
    instance: identity,
    log,
    onOutcome: (outcome) => metrics.onEvent(outcome),
  });
  const metrics = new ControllerMetrics(registry, {
    controllers: ['sandbox'],
    isLeader: () => elector.isLeader,
    queueDepths: () => sandboxes?.queueDepths() ?? [],
    eventQueueDepth: () => events.depth,
  });
  client.onRequest = metrics.onApiRequest;
  // The warm pools live here on a cluster (the server reports none): their gauges too.
  const pools = () => sandboxes?.warmPool.stats() ?? [];
  registry.gauge('paddock_warm_pool_ready', 'Ready warm-pool entries by template', () =>
    pools().map((p) => [{ template: p.template }, p.ready]),
  );
  registry.gauge('paddock_warm_pool_desired', 'Warm-pool size by template', () =>
    pools().map((p) => [{ template: p.template }, p.desired]),
  );

  const stopping = new AbortController();
  const elector = new LeaderElector(
    {
      client,
      namespace: options.namespace,
      name: CONTROLLER_LEASE,
      identity,
      leaseDurationMs: options.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs,
      releaseOnCancel: options.releaseOnStop ?? true,
      log,
    },
    {
      onStartedLeading: async (signal) => {
        const controller = await startSandboxController({
          store,
          runtime,
          events,
          log,
          onReconcile: metrics.onReconcile,
          ...(options.resyncMs === undefined ? {} : { resyncMs: options.resyncMs }),
        });
        sandboxes = controller;
        if (!signal.aborted) {
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        }
        sandboxes = undefined;
        await controller.stop();
      },
      onNewLeader: (holder) => log(`leader: ${holder === '' ? '(none)' : holder}`),
    },
  );
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (request.method !== 'GET') return answer(405, 'only GET\n');
    if (path === '/metrics') return answer(200, registry.render(), 'text/plain; version=0.0.4');
    if (path === '/healthz') return answer(200, 'ok\n');
    // Ready: leading with its caches filled, or waiting to lead (a standby is healthy too).
    if (path === '/readyz') {
      const isReady = !elector.isLeader || sandboxes !== undefined;
      return answer(isReady ? 200 : 503, isReady ? 'ok\n' : 'starting\n');
    }
    return answer(404, 'not found\n');
  });
  const metricsUrl = await listen(server, options.metricsAddr.port, options.metricsAddr.host);

  const ended = elector.run(stopping.signal);
  return {
    metricsUrl,
    isLeader: () => elector.isLeader,
    sandboxes: () => sandboxes,
    ended,
    stop: async () => {
      stopping.abort();
      await ended;
      await events.close();
      await store.close();
      await closeServer(server);
    },
  };
}
