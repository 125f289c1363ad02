// A leader election candidate in a process of its own, for tests and the takeover measurement:
// `node elector-process.ts '<json options>'`. It prints one JSON line per change
// (`{"event":"leading"}`, `{"event":"stopped"}`), releases the Lease on SIGTERM and exits;
// SIGKILL is its death, with no release.
import { KubeClient } from '../client/kube-client.ts';
import { runLeaderElection } from '../leader/leader-election.ts';

export type ElectorProcessOptions = {
  kubeconfig: string;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
};

const options = JSON.parse(process.argv[2] ?? '{}') as ElectorProcessOptions;
const client = await KubeClient.fromKubeconfig(options.kubeconfig);
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
const say = (event: string) =>
  process.stdout.write(`${JSON.stringify({ event, identity: options.identity })}\n`);

await runLeaderElection(
  { ...options, client, signal: stop.signal, log: (line) => process.stderr.write(`${line}\n`) },
  {
    onStartedLeading: (signal) => {
      say('leading');
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    },
    onStoppedLeading: () => say('stopped'),
  },
);
client.close();
