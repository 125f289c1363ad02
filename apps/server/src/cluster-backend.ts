import { hostname } from 'node:os';
import { ControllerManager, type RunController, type SandboxController } from '@paddock/control';
import {
  ErrorCode,
  type EventLog,
  isPaddockError,
  type ResourceStore,
  type SandboxRuntime,
} from '@paddock/core';
import {
  type KubeClient,
  KubeEventLog,
  KubeEventRecorder,
  KubeStore,
  PodRuntime,
  readOrCreateSharedKey,
} from '@paddock/kube';
import { electRunController } from './elected-runs.ts';
import {
  localServerKeys,
  PREVIEW_KEY_SECRET,
  SERVER_KEYS,
  type ServerKeys,
} from './server-keys.ts';

/** What the engine reads sandboxes through: the controller's cache and its warm pools' counts. */
export type SandboxesView = Pick<SandboxController, 'cache' | 'idle' | 'stop'> & {
  warmPool: Pick<SandboxController['warmPool'], 'stats'>;
};

/** The resources, sandboxes and timelines of a Kubernetes cluster, as the server uses them. */
export type ClusterBackend = {
  store: ResourceStore;
  runtime: SandboxRuntime;
  events: EventLog;
  sandboxes: SandboxesView;
  close(): Promise<void>;
};

/**
 * The server's side of a cluster: Paddock's resources in the Kubernetes API (CRDs), sandboxes
 * as pods, timelines from Kubernetes Events. The reconcilers run in `paddock controller`, not
 * here: this process only reads their results, through an informer of Sandboxes (admission's
 * quota counts read it, as on one machine) and the Events they record. Warm pools live in the
 * controller, so the server reports none.
 */
export async function openClusterBackend(
  client: KubeClient,
  log: (line: string) => void,
): Promise<ClusterBackend> {
  const store = new KubeStore(client);
  const recorder = new KubeEventRecorder({
    client,
    instance: `paddock-server-${hostname()}`.slice(0, 128),
    controller: 'paddock.dev/server',
    log,
  });
  const events = new KubeEventLog(client, recorder);
  const kit = new ControllerManager(store, { log });
  kit.informer('Sandbox');
  await kit.start();
  return {
    store,
    runtime: new PodRuntime(client),
    events,
    sandboxes: {
      cache: kit.store,
      warmPool: { stats: () => [] },
      idle: async () => {},
      stop: () => kit.stop(),
    },
    close: async () => {
      await kit.stop();
      await events.close();
      await recorder.close();
      await store.close();
    },
  };
}

/**
 * The server's keys as Secrets of `namespace` (`SERVER_KEYS` and `PREVIEW_KEY_SECRET`: made by
 * the first replica, read by every other), so that all replicas sign and verify run tokens, E2B
 * access tokens and preview credentials alike. An
 * API server that serves no Secrets at all (the test API server of CRDs) leaves them files of
 * `home`, as on one machine, which holds for one replica only; it is logged.
 */
export async function clusterServerKeys(
  client: KubeClient,
  namespace: string,
  home: string,
  log: (line: string) => void,
): Promise<ServerKeys> {
  try {
    const [gateway, e2b, preview] = await Promise.all([
      readOrCreateSharedKey(client, namespace, SERVER_KEYS.gateway.secret),
      readOrCreateSharedKey(client, namespace, SERVER_KEYS.e2b.secret),
      readOrCreateSharedKey(client, namespace, PREVIEW_KEY_SECRET),
    ]);
    return { gateway, e2b, preview };
  } catch (error) {
    if (!isPaddockError(error, ErrorCode.RuntimeUnavailable)) throw error;
    log(`${error.message}: the server's keys stay in ${home} (one replica only)`);
    return localServerKeys(home);
  }
}

/**
 * How the server runs its run reconcilers on a cluster: only while it holds the Lease of the
 * run reconcilers in `namespace` (`elected-runs.ts`), so several replicas start each harness once.
 */
export function clusterRunHost(
  client: KubeClient,
  namespace: string,
  log: (line: string) => void,
): (start: () => Promise<RunController>) => RunController {
  const identity = `${hostname()}-${process.pid}`.slice(0, 128);
  return (start) => electRunController({ client, namespace, identity, log }, start);
}
