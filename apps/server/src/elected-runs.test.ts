// Server replicas on a cluster elect the one that runs the run reconcilers, on a real Kubernetes
// API server (Leases as the test CRD with the official schema): of two replicas exactly one runs
// them; when it stops, the other takes over at once (the Lease handed back), and a replica that
// stops hands it on. The controllers here are fakes of the RunController interface that record
// when they run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunController } from '@paddock/control';
import {
  installCoreApiTestCrds,
  KubeClient,
  SERVER_PERMISSIONS,
  SERVER_RUNS_LEASE,
} from '@paddock/kube';
import {
  eventually,
  type KubeTestServer,
  kubeSkipReason,
  startKubeTestServer,
  uniqueName,
} from '@paddock/testkit';
import { type ElectedRuns, electRunController } from './elected-runs.ts';

/** A RunController that records whether it runs. */
function fakeRuns(running: Set<string>, name: string): () => Promise<RunController> {
  return async () => {
    running.add(name);
    return {
      pumpState: () => undefined,
      subscribePumps: () => () => {},
      idle: async () => {},
      stop: async () => {
        running.delete(name);
      },
    };
  };
}

describe('the election of the run reconcilers among server replicas', {
  skip: kubeSkipReason ?? false,
}, () => {
  let kube: KubeTestServer;
  const clients: KubeClient[] = [];

  before(async () => {
    kube = await startKubeTestServer();
    const admin = await KubeClient.fromKubeconfig(kube.kubeconfig);
    try {
      await installCoreApiTestCrds(admin, kube);
    } finally {
      admin.close();
    }
  });
  after(async () => {
    for (const client of clients) client.close();
    await kube?.stop();
  });

  const replica = async (namespace: string, name: string, running: Set<string>) => {
    const client = await KubeClient.fromKubeconfig(kube.kubeconfig);
    clients.push(client);
    return electRunController(
      {
        client,
        namespace,
        identity: name,
        leaseDurationMs: 2_000,
        renewDeadlineMs: 1_500,
        retryPeriodMs: 500,
        log: () => {},
      },
      fakeRuns(running, name),
    );
  };

  it('runs them on one replica at a time, and hands them on when it stops', async () => {
    const namespace = uniqueName('runs');
    const running = new Set<string>();
    const a = await replica(namespace, 'a', running);
    const b = await replica(namespace, 'b', running);
    const replicas: Record<string, ElectedRuns> = { a, b };
    try {
      await eventually(async () => running.size === 1, { what: 'one replica runs them' });
      const [first] = [...running];
      const second = first === 'a' ? 'b' : 'a';
      assert.equal(replicas[first ?? '']?.isLeader(), true);
      assert.equal(replicas[second]?.isLeader(), false);

      await replicas[first ?? '']?.stop();
      await eventually(async () => running.has(second), { what: 'the other takes over' });
      assert.deepEqual([...running], [second], 'never both');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    assert.deepEqual([...running], [], 'a stopped replica runs nothing');
  });

  it('starts them again when a start fails, rather than lead without them', async () => {
    const running = new Set<string>();
    const client = await KubeClient.fromKubeconfig(kube.kubeconfig);
    clients.push(client);
    let attempts = 0;
    const start = fakeRuns(running, 'c');
    const replica = electRunController(
      {
        client,
        namespace: uniqueName('runs'),
        identity: 'c',
        leaseDurationMs: 2_000,
        renewDeadlineMs: 1_500,
        retryPeriodMs: 500,
        log: () => {},
      },
      async () => {
        attempts++;
        if (attempts === 1) throw new Error('the store is not ready');
        return start();
      },
    );
    try {
      await eventually(async () => running.has('c'), { what: 'started on the second try' });
      assert.equal(attempts, 2);
    } finally {
      await replica.stop();
    }
  });

  it("is granted by the server's role: its Lease, by name", () => {
    const leases = SERVER_PERMISSIONS.filter((p) => p.resource === 'leases');
    assert.deepEqual(
      leases.map((p) => [p.verbs.join(','), p.resourceNames?.join(',') ?? '*']),
      [
        ['create', '*'],
        ['get,update,watch', SERVER_RUNS_LEASE],
      ],
    );
  });
});
