// The same manifests on `paddock up` and on a cluster: `paddock apply -f` of
// examples/manifests/laptop-to-cluster.yaml through two contexts (`paddock context use`) gives
// the same SandboxTemplate, Sandbox, Agent and Run on both. The cluster is `paddock server` on a
// Kubernetes API server (the test API server of the development tree, or PADDOCK_TEST_KUBECONFIG's
// cluster) with `paddock controller` beside it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { installPaddockTestCrds } from '@paddock/kube';
import {
  type KubeTestServer,
  kubeSkipReason,
  type PaddockProcess,
  startKubeTestServer,
  startPaddockProcess,
} from '@paddock/testkit';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../apps/cli/src/main.ts', import.meta.url));
const manifests = fileURLToPath(
  new URL('../../examples/manifests/laptop-to-cluster.yaml', import.meta.url),
);

describe('one set of manifests, from a laptop to a cluster', {
  skip: kubeSkipReason ?? false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paddock-l2c-'));
  const { PADDOCK_URL: _u, PADDOCK_TOKEN: _t, PADDOCK_NAMESPACE: _n, ...baseEnv } = process.env;
  const env = { ...baseEnv, HOME: join(dir, 'user'), NO_COLOR: '1' };
  const paddock = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [cli, ...args], { env });
    return stdout;
  };
  let kube: KubeTestServer;
  let laptop: PaddockProcess;
  let cluster: PaddockProcess;
  let controller: PaddockProcess;

  before(async () => {
    kube = await startKubeTestServer();
    await installPaddockTestCrds(kube);
    [laptop, cluster, controller] = await Promise.all([
      startPaddockProcess([cli, 'up', '--addr', '127.0.0.1:0', '--home', join(dir, 'laptop')]),
      startPaddockProcess([
        cli,
        'server',
        '--kubeconfig',
        kube.kubeconfig,
        '--addr',
        '127.0.0.1:0',
        '--gateway-addr',
        '127.0.0.1:0',
        '--home',
        join(dir, 'cluster'),
      ]),
      startPaddockProcess([
        cli,
        'controller',
        '--kubeconfig',
        kube.kubeconfig,
        '--metrics-addr',
        '127.0.0.1:0',
      ]),
    ]);
  });

  after(async () => {
    for (const context of ['laptop', 'cluster']) {
      await paddock('delete', '-f', manifests, '--ignore-not-found', '--context', context).catch(
        () => {},
      );
    }
    await Promise.all([laptop?.stop(), cluster?.stop(), controller?.stop()]);
    await kube?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies through each context and reads back the same resources', async () => {
    await paddock('login', '--server', laptop.url, '--context', 'laptop');
    await paddock('login', '--server', cluster.url, '--context', 'cluster');
    for (const context of ['laptop', 'cluster']) {
      await paddock('context', 'use', context);
      await paddock('apply', '-f', manifests);
    }
    const read = async (context: string) => {
      const out: Record<string, unknown> = {};
      for (const kind of ['sandboxtemplates', 'sandboxes', 'agents', 'runs']) {
        const list = JSON.parse(await paddock('get', kind, '-o', 'json', '--context', context)) as {
          items: Array<{ kind: string; metadata: { name: string; labels?: object }; spec: object }>;
        };
        for (const item of list.items) {
          out[`${item.kind}/${item.metadata.name}`] = {
            labels: item.metadata.labels,
            spec: item.spec,
          };
        }
      }
      return out;
    };
    // What was applied; a run's own sandbox (made by its controller, on each side) is not.
    const applied = [
      'Agent/helper',
      'Run/first-task',
      'Sandbox/scratch',
      'SandboxTemplate/workbench',
    ];
    const pick = (all: Record<string, unknown>) =>
      Object.fromEntries(applied.map((key) => [key, all[key]]));
    const onLaptop = pick(await read('laptop'));
    const onCluster = pick(await read('cluster'));
    for (const key of applied) assert.ok(onLaptop[key] !== undefined, `${key} on the laptop`);
    assert.deepEqual(onCluster, onLaptop);
  });
});
