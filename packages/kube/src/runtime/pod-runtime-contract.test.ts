/**
 * The SandboxRuntime contract on PodRuntime against the combined stand-in (`stand-in-cluster.ts`):
 * an object store behind a loopback API server that also serves pods/exec and pods/portforward for
 * real, each pod a temporary directory bound at /workspace, /tmp, /home/user and /run/paddock of a
 * bubblewrap mount namespace on this machine. What it shows: the runtime's protocol, its shell
 * scripts and paths, the exec wrapper, the supervisor, the probe and the forward. What it cannot
 * show (skipped below, each with its reason): isolation and images (commands run as this
 * machine's root over its /usr, in its pid and network namespaces), and scheduling (pods are
 * Ready at once).
 */
import { spawnSync } from 'node:child_process';
import {
  fullClusterSkipReason,
  type RuntimeUnderTest,
  runtimeContract,
  startKubeTestServer,
} from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { paddockCrds } from '../crds/crds.ts';
import { installCrds } from '../crds/install.ts';
import { PodRuntime } from './pod-runtime.ts';
import { SandboxOwners } from './sandbox-owners.ts';
import { startStandInCluster } from './stand-in-cluster.ts';

const hasBwrap = spawnSync('bwrap', ['--ro-bind', '/', '/', 'true']).status === 0;
const hasSocat = spawnSync('socat', ['-V']).status === 0;

async function standInRuntime(): Promise<RuntimeUnderTest> {
  const cluster = await startStandInCluster();
  const client = await KubeClient.fromKubeconfig(cluster.kubeconfig);
  const owners = new SandboxOwners(client);
  const make = () =>
    owners.wrap(new PodRuntime(client, { readyTimeoutMs: 10_000, goneTimeoutMs: 10_000 }));
  const runtime = make();
  return {
    runtime,
    restart: make,
    traces: async (ref) =>
      [...cluster.objects.values()]
        .filter(
          (o) => o.metadata.namespace === ref.namespace && o.metadata.name?.startsWith(ref.name),
        )
        .filter((o) => o.kind !== 'Sandbox' && o.kind !== 'Namespace')
        .map((o) => `${o.kind} ${o.metadata.name}`),
    cleanup: async () => {
      for (const ref of await runtime.list()) await runtime.destroy(ref);
      client.close();
      await cluster.close();
    },
  };
}

const NO_POD_PAUSE =
  'the pod runtime cannot pause: Kubernetes has no freeze of a running pod (idle sandboxes stop instead)';

/** A background process's output is a file in the pod; reopening it truncates it. */
const OUTPUT_FILES =
  "the pod runtime appends a background process's output to files inside the pod: reopening one (> /dev/stdout) truncates it, as with `cmd > file`";
/** The stand-in's execs are Node child processes: socket pairs, which /dev/stdout cannot reopen. */
const STAND_IN_STDIO =
  "the stand-in pods' execs have Node's socket pairs as stdio (runc's, on a real cluster, are pipes)";

runtimeContract('kubernetes, stand-in pods', standInRuntime, {
  ...(hasBwrap ? {} : { unavailable: 'the stand-in pods need bubblewrap (bwrap) on this machine' }),
  skip: {
    'pause and resume': NO_POD_PAUSE,
    'lets the command reopen its stdio: /dev/stdout, /dev/stderr, /dev/stdin': STAND_IN_STDIO,
    'a background process can reopen its output: /dev/stdout, /dev/stderr': OUTPUT_FILES,
    ...(hasSocat
      ? {}
      : { 'connects to a port a process listens on inside the sandbox': 'socat is not installed' }),
  },
});

/**
 * On a whole cluster (PADDOCK_TEST_KUBECONFIG): pods of PADDOCK_TEST_SANDBOX_IMAGE (default
 * debian:bookworm-slim: a POSIX shell, GNU coreutils and tar, util-linux's setsid), each owned by
 * a Sandbox made for it (the CRDs are installed first).
 */
const IMAGE = process.env.PADDOCK_TEST_SANDBOX_IMAGE;

async function clusterRuntime(): Promise<RuntimeUnderTest> {
  const server = await startKubeTestServer();
  const client = await KubeClient.fromKubeconfig(server.kubeconfig);
  await installCrds(client, paddockCrds());
  const owners = new SandboxOwners(client);
  const make = () => owners.wrap(new PodRuntime(client, { readyTimeoutMs: 300_000 }));
  const runtime = make();
  return {
    runtime,
    restart: make,
    traces: async (ref) => {
      const path = `/api/v1/namespaces/${ref.namespace}/pods`;
      const pods = await client.request<{ items?: Array<{ metadata?: { name?: string } }> }>(
        'GET',
        path,
      );
      return (pods.items ?? [])
        .map((p) => p.metadata?.name ?? '')
        .filter((name) => name.startsWith(ref.name));
    },
    cleanup: async () => {
      for (const ref of await runtime.list()) await runtime.destroy(ref);
      for (const namespace of owners.namespaces) {
        await client.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => {});
      }
      client.close();
      await server.stop();
    },
  };
}

runtimeContract('kubernetes, whole cluster', clusterRuntime, {
  ...(fullClusterSkipReason === undefined ? {} : { unavailable: fullClusterSkipReason }),
  timeoutMs: 600_000,
  spec: { image: IMAGE ?? 'debian:bookworm-slim' },
  skip: {
    'pause and resume': NO_POD_PAUSE,
    'a background process can reopen its output: /dev/stdout, /dev/stderr': OUTPUT_FILES,
    ...(IMAGE === undefined
      ? {
          'connects to a port a process listens on inside the sandbox':
            'the default image has no socat: set PADDOCK_TEST_SANDBOX_IMAGE to one with it',
        }
      : {}),
  },
});
