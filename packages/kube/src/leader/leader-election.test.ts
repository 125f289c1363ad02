import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type KubeTestServer,
  kubeSkipReason,
  startKubeTestServer,
  startTcpGate,
} from '@paddock/testkit';
import { parse, stringify } from 'yaml';
import { KubeClient } from '../client/kube-client.ts';
import { installCoreApiTestCrds } from '../testing/core-api-crds.ts';
import { type LeaderElectionOptions, LeaderElector } from './leader-election.ts';
import { type Lease, LeaseLock } from './lease-lock.ts';
import { measureTakeover } from './takeover-measure.ts';

/** Short timings: a 2 s lease, renewed every 0.25 s, given up after 1.5 s of failures. */
const FAST = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 250 };

/** A candidate under test: what happened to it, in order, and how to stop it. */
type Candidate = {
  elector: LeaderElector;
  events: string[];
  started: Promise<number>;
  leadSignal: Promise<AbortSignal>;
  stop(): Promise<void>;
  done: Promise<void>;
};

describe('leader election through a Lease', { skip: kubeSkipReason ?? false }, () => {
  let server: KubeTestServer;
  let client: KubeClient;
  const namespace = 'default';
  before(async () => {
    server = await startKubeTestServer();
    client = await KubeClient.fromKubeconfig(server.kubeconfig);
    await installCoreApiTestCrds(client, server);
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  function candidate(
    name: string,
    identity: string,
    options: Partial<LeaderElectionOptions> = {},
  ): Candidate {
    const events: string[] = [];
    const stopper = new AbortController();
    let onStarted: (at: number) => void = () => {};
    const started = new Promise<number>((resolve) => {
      onStarted = resolve;
    });
    let onSignal: (signal: AbortSignal) => void = () => {};
    const leadSignal = new Promise<AbortSignal>((resolve) => {
      onSignal = resolve;
    });
    const elector = new LeaderElector(
      { client, namespace, name, identity, ...FAST, ...options },
      {
        onStartedLeading: (signal) => {
          events.push('started');
          onStarted(performance.now());
          onSignal(signal);
          return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        },
        onStoppedLeading: () => events.push('stopped'),
      },
    );
    const done = elector.run(stopper.signal);
    return {
      elector,
      events,
      started,
      leadSignal,
      done,
      stop: async () => {
        stopper.abort();
        await done;
      },
    };
  }

  const lease = (name: string): Promise<Lease> =>
    new LeaseLock(client, namespace, name).get(AbortSignal.timeout(5000));

  it('gives the Lease to one candidate; the other takes over after the first dies', async () => {
    const a = candidate('death', 'a', { releaseOnCancel: false });
    await a.started;
    const b = candidate('death', 'b');
    try {
      // Three retry periods of waiting: b sees a's renewals and does not take the lease.
      await new Promise((resolve) => setTimeout(resolve, 3 * FAST.retryPeriodMs));
      assert.equal(a.elector.isLeader, true);
      assert.equal(b.elector.isLeader, false);
      assert.equal(b.elector.leader, 'a');
      assert.equal((await lease('death')).spec?.holderIdentity, 'a');

      // Death: a stops renewing and does not release.
      const diedAt = performance.now();
      await a.stop();
      assert.deepEqual(a.events, ['started', 'stopped']);
      assert.equal((await lease('death')).spec?.holderIdentity, 'a', 'a left the lease held');
      const takenAt = await b.started;
      console.log(
        `leader death (lease ${FAST.leaseDurationMs} ms, retry ${FAST.retryPeriodMs} ms): b led ${Math.round(takenAt - diedAt)} ms after a stopped renewing`,
      );
      const spec = (await lease('death')).spec;
      assert.equal(spec?.holderIdentity, 'b');
      assert.equal(spec?.leaseTransitions, 1);
      assert.equal(spec?.leaseDurationSeconds, 2);
      assert.match(spec?.renewTime ?? '', /\.\d{6}Z$/, 'renewTime is a MicroTime');
    } finally {
      await b.stop();
    }
    assert.deepEqual(b.events, ['started', 'stopped']);
  });

  it('hands the Lease over at once on a clean release', async () => {
    const a = candidate('release', 'a');
    await a.started;
    const b = candidate('release', 'b');
    try {
      await new Promise((resolve) => setTimeout(resolve, 2 * FAST.retryPeriodMs));
      assert.equal(b.elector.leader, 'a');
      const releasedAt = performance.now();
      await a.stop();
      const takenAt = await b.started;
      console.log(
        `clean release: b led ${Math.round(takenAt - releasedAt)} ms after a began to release`,
      );
      // Taken over through the release, not through expiry: before a's lease could run out.
      assert.ok(takenAt - releasedAt < FAST.leaseDurationMs, 'b did not wait for the lease');
      const spec = (await lease('release')).spec;
      assert.equal(spec?.holderIdentity, 'b');
      assert.equal(spec?.leaseTransitions, 1);
    } finally {
      await b.stop();
    }
    const released = (await lease('release')).spec;
    assert.equal(released?.holderIdentity, '', 'b released on its clean stop too');
    assert.equal(released?.leaseTransitions, 1, 'a release is no transition');
  });

  it('gives leadership up when another holder takes the Lease', async () => {
    const a = candidate('stolen', 'a');
    await a.started;
    const signal = await a.leadSignal;
    const lock = new LeaseLock(client, namespace, 'stolen');
    const current = await lock.get(AbortSignal.timeout(5000));
    // Another writer that ignores the protocol: a's next renew sees a holder that is not a.
    await lock.update(
      current,
      { ...current.spec, holderIdentity: 'intruder', leaseDurationSeconds: 60 },
      AbortSignal.timeout(5000),
    );
    await a.done;
    assert.equal(signal.aborted, true, 'the leading signal aborted');
    assert.deepEqual(a.events, ['started', 'stopped']);
    assert.equal(a.elector.isLeader, false);
    assert.equal((await lease('stolen')).spec?.holderIdentity, 'intruder');
  });

  it('gives leadership up when renewing fails past the renew deadline', async () => {
    // a reaches the API server through a proxy that is then cut: every renew fails.
    const proxy = await startTcpGate(new URL(client.server));
    const dir = mkdtempSync(join(tmpdir(), 'leader-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const config = parse(readFileSync(server.kubeconfig, 'utf8')) as {
      clusters: Array<{ cluster: { server: string } }>;
    };
    for (const entry of config.clusters) entry.cluster.server = `https://127.0.0.1:${proxy.port}`;
    writeFileSync(kubeconfig, stringify(config));
    const proxied = await KubeClient.fromKubeconfig(kubeconfig);
    try {
      const a = candidate('unreachable', 'a', { client: proxied });
      await a.started;
      const signal = await a.leadSignal;
      const cutAt = performance.now();
      await proxy.stop();
      await a.done;
      const stoppedAfter = performance.now() - cutAt;
      console.log(
        `renew failing: a stopped leading ${Math.round(stoppedAfter)} ms after its connection was cut (renew deadline ${FAST.renewDeadlineMs} ms)`,
      );
      assert.equal(signal.aborted, true, 'the leading signal aborted');
      assert.deepEqual(a.events, ['started', 'stopped']);
      assert.equal(a.elector.isLeader, false);
      // It gave up without a word from the server: the Lease still names it until it expires.
      assert.equal((await lease('unreachable')).spec?.holderIdentity, 'a');
    } finally {
      proxied.close();
      await proxy.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a candidate process SIGKILLed is taken over within about a lease duration', async () => {
    const measured = await measureTakeover({ kubeconfig: server.kubeconfig, ...FAST });
    console.log(
      `SIGKILL takeover (lease ${measured.leaseDurationMs} ms, renew deadline ${measured.renewDeadlineMs} ms, retry ${measured.retryPeriodMs} ms): ${Math.round(measured.takeoverMs)} ms after the kill, ${Math.round(measured.sinceLastRenewMs)} ms after the last renew was written before it`,
    );
    assert.ok(measured.takeoverMs > 0);
    assert.equal(measured.leaseTransitions, 1);
  });
});
