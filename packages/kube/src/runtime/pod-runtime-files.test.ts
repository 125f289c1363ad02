/**
 * The pod runtime's file operations against the combined stand-in, whose container runtime only
 * stops copying a gone client's output (as containerd and cri-o may): a cancelled read or
 * archive must still end its command in the pod, through the exec wrapper's kill, instead of
 * leaving it blocked on its full pipe until the pod ends.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { GoneClient } from '../exec/stand-in-exec.ts';
import { PodRuntime } from './pod-runtime.ts';
import { SandboxOwners } from './sandbox-owners.ts';
import { type StandInCluster, startStandInCluster } from './stand-in-cluster.ts';

const hasBwrap = spawnSync('bwrap', ['--ro-bind', '/', '/', 'true']).status === 0;

describe("PodRuntime files (stand-in pods that keep a gone client's pipes)", {
  skip: hasBwrap ? false : 'needs bwrap',
}, () => {
  let cluster: StandInCluster;
  let client: KubeClient;
  const ref = { namespace: 'team', name: 'box', uid: 'files-uid' };

  before(async () => {
    cluster = await startStandInCluster({ goneClient: GoneClient.StopCopying });
    client = await KubeClient.fromKubeconfig(cluster.kubeconfig);
  });
  after(async () => {
    client?.close();
    await cluster?.close();
  });

  it('ends the command in the pod when a read or a download is cancelled', {
    timeout: 20_000,
  }, async () => {
    const runtime = new SandboxOwners(client).wrap(new PodRuntime(client));
    await runtime.provision({ ...ref, spec: { command: ['sleep', 'infinity'] } });
    try {
      // 100 GiB (sparse): read to its end, it would keep the command running far past the test.
      const made = await runtime.exec(ref, {
        command: ['sh', '-c', 'mkdir -p endless && truncate -s 100G endless/zeros'],
      });
      assert.equal((await made.exit).exitCode, 0);
      const read = async () =>
        (await runtime.files.readStream(ref, '/workspace/endless/zeros')).stream;
      const download = () => runtime.files.download(ref, '/workspace/endless');
      for (const open of [read, download]) {
        const reader = (await open()).getReader();
        assert.ok(((await reader.read()).value?.byteLength ?? 0) > 0);
        assert.equal(cluster.standIn.running().length, 1, 'the command runs in the pod');
        await reader.cancel();
        await eventually(() => cluster.standIn.running().length === 0, {
          what: 'the command in the pod ended',
          timeoutMs: 5000,
        });
      }
    } finally {
      await runtime.destroy(ref);
    }
  });
});
