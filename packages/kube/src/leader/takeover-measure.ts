import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../client/kube-client.ts';
import type { ElectorProcessOptions } from '../testing/elector-process.ts';
import { LEADER_ELECTION_DEFAULTS, LeaderElector } from './leader-election.ts';
import { LeaseLock } from './lease-lock.ts';

export type TakeoverOptions = {
  /** A cluster that serves coordination.k8s.io/v1 Leases (natively, or the test CRD). */
  kubeconfig: string;
  namespace?: string;
  /** The Lease; a fresh name per measurement unless given. */
  name?: string;
  /** Election timings; client-go's defaults (15 s / 10 s / 2 s) when absent. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
};

export type TakeoverMeasurement = {
  /** From the SIGKILL of the leading process to the waiting candidate's onStartedLeading. */
  takeoverMs: number;
  /** How long before the kill the dead leader had last renewed (by the Lease's renewTime). */
  sinceLastRenewMs: number;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** leaseTransitions of the Lease after the takeover (1: one change of holder). */
  leaseTransitions: number;
};

const CHILD = fileURLToPath(new URL('../testing/elector-process.ts', import.meta.url));

/**
 * Measures a leader's death: a candidate in a child process takes the Lease, a second candidate
 * in this process waits, the child is SIGKILLed (no release), and the time until the second
 * leads is measured. For tests (short timings) and the bench (the defaults).
 */
export async function measureTakeover(options: TakeoverOptions): Promise<TakeoverMeasurement> {
  const timings = {
    leaseDurationMs: options.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs,
    renewDeadlineMs: options.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs,
    retryPeriodMs: options.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs,
  };
  const namespace = options.namespace ?? 'default';
  const name = options.name ?? `takeover-${Date.now().toString(36)}`;
  const client = await KubeClient.fromKubeconfig(options.kubeconfig);
  const stop = new AbortController();
  let child: ChildProcess | undefined;
  let waiting: Promise<void> | undefined;
  try {
    const childOptions: ElectorProcessOptions = {
      kubeconfig: options.kubeconfig,
      namespace,
      name,
      identity: 'takeover-first',
      ...timings,
    };
    child = spawn(process.execPath, [CHILD, JSON.stringify(childOptions)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    await leadingOf(child, () => stderr.join(''));

    let seenFirst: () => void = () => {};
    const firstSeen = new Promise<void>((resolve) => {
      seenFirst = resolve;
    });
    let tookOver: (at: number) => void = () => {};
    const takeover = new Promise<number>((resolve) => {
      tookOver = resolve;
    });
    const second = new LeaderElector(
      { client, namespace, name, identity: 'takeover-second', ...timings },
      {
        onNewLeader: (holder) => {
          if (holder === 'takeover-first') seenFirst();
        },
        onStartedLeading: (signal) => {
          tookOver(performance.now());
          return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        },
      },
    );
    waiting = second.run(stop.signal);
    await firstSeen;

    const lease = await new LeaseLock(client, namespace, name).get(stop.signal);
    child.kill('SIGKILL');
    const killedAt = performance.now();
    const sinceLastRenewMs = Date.now() - Date.parse(lease.spec?.renewTime ?? '');
    await once(child, 'exit');
    const takeoverMs = (await takeover) - killedAt;
    const after = await new LeaseLock(client, namespace, name).get(stop.signal);
    return {
      takeoverMs,
      sinceLastRenewMs,
      ...timings,
      leaseTransitions: after.spec?.leaseTransitions ?? 0,
    };
  } finally {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    stop.abort();
    await waiting;
    client.close();
  }
}

/** Resolves when the child prints that it leads; rejects when it exits first. */
async function leadingOf(child: ChildProcess, stderr: () => string): Promise<void> {
  if (child.stdout === null) throw new Error('elector process: no stdout');
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`elector process exited (${code}) before leading: ${stderr()}`);
  });
  const leading = (async () => {
    for await (const line of lines) {
      if ((JSON.parse(line) as { event: string }).event === 'leading') return;
    }
  })();
  exited.catch(() => {});
  await Promise.race([leading, exited]);
}
