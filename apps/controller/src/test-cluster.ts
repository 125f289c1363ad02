// The API server the controller's tests share: Paddock's CRDs and the core-API stand-ins installed.
import { isPaddockError } from '@paddock/core';
import {
  installCoreApiTestCrds,
  installCrds,
  KubeClient,
  KubeStore,
  paddockCrds,
} from '@paddock/kube';
import { type KubeTestServer, startKubeTestServer } from '@paddock/testkit';

export type TestCluster = {
  server: KubeTestServer;
  /** An admin client on `server`. */
  client: KubeClient;
  /** A store on `client`. */
  store: KubeStore;
  /** Closes the store and the client and stops the server. */
  stop(): Promise<void>;
};

/** Starts a test API server (see `startKubeTestServer`) ready for the controller. */
export async function startTestCluster(): Promise<TestCluster> {
  const server = await startKubeTestServer();
  let client: KubeClient | undefined;
  try {
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    await installCrds(client, paddockCrds());
    await installCoreApiTestCrds(client, server);
  } catch (error) {
    client?.close();
    await server.stop();
    throw error;
  }
  const store = new KubeStore(client);
  const admin = client;
  return {
    server,
    client,
    store,
    stop: async () => {
      await store.close();
      admin.close();
      await server.stop();
    },
  };
}

/** Whether the Sandbox `ref` is gone: `store` answers `not_found` (its finalizer has run). */
export async function isSandboxGone(
  store: KubeStore,
  ref: { namespace: string; name: string },
): Promise<boolean> {
  try {
    await store.get('Sandbox', ref);
    return false;
  } catch (error) {
    return isPaddockError(error, 'not_found');
  }
}
