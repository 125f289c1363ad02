// The harness in a sandbox pod, end to end on the combined stand-in (pods as bubblewrap
// namespaces of this machine behind a stand-in API server): the pod runtime provisions a sandbox
// with the harness options the controller gets from `--harness-image`; the pod's init container
// runs `paddock controller copy-harness` (Paddock's image standing for this installation, seen
// read-only); then a run's argv, exec'd through pods/exec, starts `paddock-agent wrap` from the
// read-only mount, in a sandbox that sees nothing else of this installation.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_HARNESS,
  KubeClient,
  PodRuntime,
  resolveObjectOptions,
  SANDBOX_HARNESS_PATHS,
  type StandInCluster,
  startStandInCluster,
} from '@paddock/kube';
import { runToEnd } from '@paddock/testkit';

const hasBwrap = spawnSync('bwrap', ['--ro-bind', '/', '/', 'true']).status === 0;
const IMAGE = 'registry.example/paddock/paddock:test';
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const ROOT = resolve(dirname(MAIN), '..', '..', '..');
const NAMESPACE = 'team';

describe('the harness in a sandbox pod (stand-in pods)', {
  skip: hasBwrap ? false : 'needs bwrap',
}, () => {
  let cluster: StandInCluster;
  let client: KubeClient;
  let runtime: PodRuntime;
  const ref = { namespace: NAMESPACE, name: 'box', uid: '' };

  before(async () => {
    cluster = await startStandInCluster({
      // Paddock's image is this installation: its Node.js and checkout, read-only.
      images: {
        [IMAGE]: {
          binds: [ROOT, dirname(dirname(process.execPath))],
          command: (argv) => {
            assert.deepEqual(argv.slice(0, 3), ['paddock', 'controller', 'copy-harness']);
            return [process.execPath, MAIN, ...argv.slice(2)];
          },
        },
      },
      // About 250 MiB per pod: in memory where there is a tmpfs.
      ...(existsSync('/dev/shm') ? { tmpdir: '/dev/shm' } : {}),
    });
    client = await KubeClient.fromKubeconfig(cluster.kubeconfig);
    runtime = new PodRuntime(client, {
      objects: resolveObjectOptions({ harness: { ...DEFAULT_HARNESS, image: IMAGE, clis: [] } }),
    });
    const created = await client.request<{ metadata?: { uid?: string } }>(
      'POST',
      `/apis/paddock.dev/v1alpha1/namespaces/${NAMESPACE}/sandboxes`,
      {
        body: {
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'Sandbox',
          metadata: { name: 'box', namespace: NAMESPACE },
          spec: { templateRef: { kind: 'ClusterSandboxTemplate', name: 'agent' } },
        },
      },
    );
    ref.uid = created.metadata?.uid ?? '';
    await runtime.provision({ ...ref, spec: {} });
  });
  after(async () => {
    if (ref.uid !== '') await runtime?.destroy(ref).catch(() => {});
    client?.close();
    await cluster?.close();
  });

  it("runs a run's harness argv from the pod's read-only mount", async () => {
    const { node, agentMain } = SANDBOX_HARNESS_PATHS;
    const done = await runToEnd(runtime, ref, [
      node,
      agentMain,
      'wrap',
      'command',
      '--prompt',
      'hi',
      '--',
      'sh',
      '-c',
      'echo "from the pod"',
    ]);
    assert.equal(done.exitCode, 0, done.stderr);
    assert.match(done.stdout, /from the pod/);
    assert.match(done.stdout, /"type":"run\.finished"/);
  });

  it('is read-only to the sandbox, which sees nothing else of this installation', async () => {
    const write = await runToEnd(runtime, ref, ['sh', '-c', 'touch /opt/paddock/x']);
    assert.notEqual(write.exitCode, 0);
    const look = await runToEnd(runtime, ref, ['sh', '-c', `test -e ${ROOT} || echo absent`]);
    assert.match(look.stdout, /absent/);
  });
});
