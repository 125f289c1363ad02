import { hostname } from 'node:os';
import { ControllerManager, type SandboxController } from '@paddock/control';
import type { EventLog, ResourceStore, SandboxRuntime } from '@paddock/core';
import {
  type KubeClient,
  KubeEventLog,
  KubeEventRecorder,
  KubeStore,
  PodRuntime,
} from '@paddock/kube';

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
