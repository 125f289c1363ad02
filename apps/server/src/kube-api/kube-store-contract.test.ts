// One store implementation: the Kubernetes backend's ResourceStore (KubeStore, through its
// KubeClient) passes the store contract against `paddock up`'s Kubernetes API, as it does
// against a real API server (packages/kube's kube-store.test.ts).
import { after, before } from 'node:test';
import { KubeClient, KubeStore } from '@paddock/kube';
import { clusterTemplate, runStoreContract, uniqueName } from '@paddock/testkit';
import { bootstrapAdminKey } from '../bootstrap-key.ts';
import { startTestServer, type TestServer } from '../test-server.ts';
import { writeKubeconfig } from './kube-test-support.ts';

let s: TestServer | undefined;
let client: KubeClient | undefined;

/**
 * The template of the contract's Sandboxes. `paddock up` admits a Sandbox only when its template
 * resolves (the REST API's rule, which this API keeps), and the cases use random namespaces: a
 * cluster template, made in `before`.
 */
const SANDBOX_TEMPLATE = { kind: 'ClusterSandboxTemplate', name: uniqueName('contract') } as const;

before(async () => {
  // No sandbox reconcilers: the contract owns every write to the objects it makes (its
  // updateStatus case writes from the version it created), as against an API server of CRDs
  // with no controller. Admission, which is the API's, stays.
  s = await startTestServer({ auth: 'required' }, {}, { hasSandboxReconcilers: false });
  const admin = (await bootstrapAdminKey(s.engine.apiKeys, undefined, new Date()))?.key ?? '';
  client = await KubeClient.fromKubeconfig(writeKubeconfig(s.home, s.url, admin));
  const store = new KubeStore(client);
  await store.create(clusterTemplate(SANDBOX_TEMPLATE.name));
  await store.close();
});
after(async () => {
  client?.close();
  await s?.close();
});

runStoreContract(
  'kubernetes store on paddock up',
  async () => {
    if (s === undefined || client === undefined) throw new Error('the server is up');
    const store = new KubeStore(client);
    const sqlite = s.engine.store as unknown as { compact(): Promise<void> };
    return { store, cleanup: () => store.close(), compact: () => sqlite.compact() };
  },
  {
    sandboxTemplate: SANDBOX_TEMPLATE,
    skip: {
      'a DELETED event carries the last state of the object':
        'the Kubernetes API answers a delete with a bare Status, so KubeStore returns the object as last read; skipped for the same reason against a real API server (packages/kube kube-store.test.ts)',
    },
  },
);
