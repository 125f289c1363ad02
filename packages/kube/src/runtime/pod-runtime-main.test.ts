/**
 * The main process on pods against the combined stand-in: the template command waits behind the
 * start gate; `exec` of `main` in the background opens it, so the main container's own process
 * is the main process, listed with its exit code from the container status and its output from
 * the pod's log.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { collectText } from '@paddock/testkit';
import { KubeClient } from '../client/kube-client.ts';
import { PodRuntime } from './pod-runtime.ts';
import { SandboxOwners } from './sandbox-owners.ts';
import { type StandInCluster, startStandInCluster } from './stand-in-cluster.ts';

const hasBwrap = spawnSync('bwrap', ['--ro-bind', '/', '/', 'true']).status === 0;

describe('PodRuntime main process (stand-in pods)', {
  skip: hasBwrap ? false : 'needs bwrap',
}, () => {
  let cluster: StandInCluster;
  let client: KubeClient;
  const ref = { namespace: 'team', name: 'box', uid: 'contract-uid' };

  before(async () => {
    cluster = await startStandInCluster();
    client = await KubeClient.fromKubeconfig(cluster.kubeconfig);
  });
  after(async () => {
    client?.close();
    await cluster?.close();
  });

  it('opens the start gate for main and reports the container as the main process', async () => {
    const runtime = new SandboxOwners(client).wrap(new PodRuntime(client));
    const command = [
      'sh',
      '-c',
      'echo hello; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo bye; exit 3',
    ];
    await runtime.provision({ ...ref, spec: { command } });
    try {
      assert.deepEqual(await runtime.listProcesses(ref), [], 'nothing runs before the gate opens');
      const handle = await runtime.exec(ref, {
        command,
        background: true,
        processId: 'main',
      });
      const [listed] = await runtime.listProcesses(ref);
      assert.deepEqual([listed?.id, listed?.running, listed?.command], ['main', true, command]);
      await runtime.files.write(ref, '/tmp/go', new Uint8Array());
      assert.equal(await collectText(handle.stdout), 'hello\nbye\n');
      assert.deepEqual(await handle.exit, { exitCode: 3, signal: null, timedOut: false });
      const [ended] = await runtime.listProcesses(ref);
      assert.deepEqual([ended?.running, ended?.exit?.exitCode], [false, 3]);
      const again = await runtime.attach(ref, 'main');
      assert.equal(await collectText(again.stdout), 'hello\nbye\n', 'the log outlives it');
    } finally {
      await runtime.destroy(ref);
    }
  });
  it('lets a reader of the output stop while the main process runs, and still tells its exit', {
    timeout: 20_000,
  }, async () => {
    const runtime = new SandboxOwners(client).wrap(new PodRuntime(client));
    const command = ['sh', '-c', 'echo up; while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 4'];
    await runtime.provision({ ...ref, spec: { command } });
    try {
      await runtime.exec(ref, { command, background: true, processId: 'main' });
      // What the logs route does: read what is there, then cancel while the process runs.
      const glance = await runtime.attach(ref, 'main');
      const reader = glance.stdout.getReader();
      assert.equal(new TextDecoder().decode((await reader.read()).value), 'up\n');
      await reader.cancel();
      const waiter = await runtime.attach(ref, 'main');
      await runtime.files.write(ref, '/tmp/go', new Uint8Array());
      assert.deepEqual(await waiter.exit, { exitCode: 4, signal: null, timedOut: false });
    } finally {
      await runtime.destroy(ref);
    }
  });
});
