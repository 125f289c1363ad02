// One store implementation: the Kubernetes backend's ResourceStore (KubeStore, through its
// KubeClient) passes the store contract against `paddock up`'s Kubernetes API, as it does
// against a real API server (packages/kube's kube-store.test.ts).
import { after, before } from 'node:test';
import { KubeClient, KubeStore } from '@paddock/kube';
import { runStoreContract } from '@paddock/testkit';
import { bootstrapAdminKey } from '../bootstrap-key.ts';
import { startTestServer, type TestServer } from '../test-server.ts';
import { writeKubeconfig } from './kube-test-support.ts';

let s: TestServer | undefined;
let client: KubeClient | undefined;

before(async () => {
  s = await startTestServer({ auth: 'required' });
  const admin = (await bootstrapAdminKey(s.engine.apiKeys, undefined, new Date()))?.key ?? '';
  client = await KubeClient.fromKubeconfig(writeKubeconfig(s.home, s.url, admin));
});
after(async () => {
  client?.close();
  await s?.close();
});

/**
 * Cases that write a Sandbox of a template that does not exist: `paddock up` admits a Sandbox
 * only when its template resolves, and its controller then owns the Sandbox's finalizer and
 * status: the REST API's rules, which this API keeps (a bare CRD on a cluster has no admission).
 */
const ADMITTED =
  "writes a Sandbox of a missing template: paddock up's admission refuses it (template_not_found), as its REST API does";

runStoreContract(
  'kubernetes store on paddock up',
  async () => {
    if (s === undefined || client === undefined) throw new Error('the server is up');
    const store = new KubeStore(client);
    const sqlite = s.engine.store as unknown as { compact(): Promise<void> };
    return { store, cleanup: () => store.close(), compact: () => sqlite.compact() };
  },
  {
    skip: {
      'create derives the name from generateName with a random suffix': ADMITTED,
      'create allows one name in other namespaces and other kinds': ADMITTED,
      'updateStatus writes status only and keeps generation': ADMITTED,
      'list filters by namespace and orders by namespace, then name': ADMITTED,
      'watch streams ADDED, MODIFIED and DELETED live, in order, for its kind only': ADMITTED,
      'a DELETED event carries the last state of the object':
        'the Kubernetes API answers a delete with a bare Status, so KubeStore returns the object as last read; skipped for the same reason against a real API server (packages/kube kube-store.test.ts)',
    },
  },
);
