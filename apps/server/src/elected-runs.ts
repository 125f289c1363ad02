/**
 * The run reconcilers of a server with several replicas on a cluster: only the replica that holds
 * the Lease `paddock-server-runs` (in the server's namespace; client-go's protocol, see
 * `LeaderElector`) runs them, so a Run's harness is started once, not once per replica. When the
 * leader stops (its Lease handed back) or dies (its Lease expires), another replica starts its
 * own, which adopts the running runs as a restarted server does (the harness keeps running in
 * its sandbox; the transcript pump re-attaches and resumes after the last recorded event). A
 * replica that loses the Lease stops its reconcilers and stands again.
 *
 * What needs no election: the gateway (stateless per call, its ledger and budgets in the shared
 * database), the API, and the run event streams (read from the shared run log).
 */
import type { RunController } from '@paddock/control';
import { type KubeClient, LeaderElector, SERVER_RUNS_LEASE } from '@paddock/kube';

const RUNS_LEASE = SERVER_RUNS_LEASE;

export type ElectedRunsOptions = {
  client: KubeClient;
  /** The Lease's namespace: the server's own. */
  namespace: string;
  /** This replica in the Lease: its pod's name (the host name) and process. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: (line: string) => void;
};

export type ElectedRuns = RunController & {
  /** Whether this replica runs the run reconcilers now. */
  isLeader(): boolean;
};

/**
 * A run controller that `start`s the real one while this replica leads and stops it when it no
 * longer does. `pumpState` answers for the transcript pumps of this replica (none on a replica
 * that does not lead); `idle` waits for the current one.
 */
export function electRunController(
  options: ElectedRunsOptions,
  start: () => Promise<RunController>,
): ElectedRuns {
  const stopping = new AbortController();
  const listeners = new Set<() => void>();
  let current: RunController | undefined;
  let unsubscribe: (() => void) | undefined;
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const elector = () =>
    new LeaderElector(
      {
        client: options.client,
        namespace: options.namespace,
        name: RUNS_LEASE,
        identity: options.identity,
        ...(options.leaseDurationMs === undefined
          ? {}
          : { leaseDurationMs: options.leaseDurationMs }),
        ...(options.renewDeadlineMs === undefined
          ? {}
          : { renewDeadlineMs: options.renewDeadlineMs }),
        ...(options.retryPeriodMs === undefined ? {} : { retryPeriodMs: options.retryPeriodMs }),
        log: options.log,
      },
      {
        onStartedLeading: async (signal) => {
          options.log(`run reconcilers: ${options.identity} leads (${RUNS_LEASE})`);
          const controller = await startUntilDone(start, signal, options);
          if (controller === undefined) return;
          current = controller;
          unsubscribe = controller.subscribePumps(notify);
          notify();
          await new Promise<void>((resolve) => {
            if (signal.aborted) resolve();
            else signal.addEventListener('abort', () => resolve(), { once: true });
          });
          unsubscribe?.();
          current = undefined;
          await controller.stop();
          notify();
        },
      },
    );
  let leader: LeaderElector | undefined;
  // One term after another: a replica that lost the Lease stands again, until stopped.
  const terms = (async () => {
    while (!stopping.signal.aborted) {
      leader = elector();
      await leader.run(stopping.signal);
      if (stopping.signal.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, options.retryPeriodMs ?? 2_000));
    }
  })().catch((error: unknown) =>
    options.log(`run reconcilers: the election failed: ${(error as Error).message}`),
  );
  return {
    isLeader: () => current !== undefined,
    pumpState: (uid) => current?.pumpState(uid),
    subscribePumps: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    idle: async () => {
      await current?.idle();
    },
    stop: async () => {
      stopping.abort();
      await terms;
    },
  };
}

/**
 * `start`, again after a retry period while it fails (a leader without its reconcilers would
 * hold every run up); undefined when leadership ends first.
 */
async function startUntilDone(
  start: () => Promise<RunController>,
  signal: AbortSignal,
  options: Pick<ElectedRunsOptions, 'log' | 'retryPeriodMs'>,
): Promise<RunController | undefined> {
  while (!signal.aborted) {
    try {
      return await start();
    } catch (error) {
      options.log(`run reconcilers: start failed, retrying: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, options.retryPeriodMs ?? 2_000));
    }
  }
  return undefined;
}
