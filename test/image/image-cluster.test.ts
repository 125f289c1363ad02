// `paddock server` and `paddock controller` run from Paddock's image as its Deployments run them
// (the commands `paddock install` renders, the image's uid, the tree read-only as /, an emptyDir
// at /tmp, the server's home on its volume) against a cluster: the test API server for Paddock's
// CRDs and the stand-in for core/v1 behind one kubeconfig. Only the cluster's address differs:
// a kubeconfig instead of the pod's service account, loopback ports instead of the pod's.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type CompositeCluster,
  installPaddockTestCrds,
  renderInstall,
  resolveValues,
  startCompositeCluster,
} from '@paddock/kube';
import {
  bwrapSkipReason,
  eventually,
  type KubeTestServer,
  kubeSkipReason,
  startKubeTestServer,
} from '@paddock/testkit';
import {
  type Container,
  type ImageTree,
  imageTree,
  imageUid,
  inImage,
  SERVER_HOME,
  walkableTmpdir,
} from './image-container.ts';

const ADMIN_KEY = `pdk_${'k'.repeat(43)}`;
const KUBECONFIG = '/tmp/kubeconfig';

type Started = { child: ChildProcess; url: string; log: () => string };

/** The command of the rendered Deployment `name`, pointed at this test's cluster and ports. */
function deploymentCommand(name: string): string[] {
  const deployment = renderInstall(resolveValues({})).find(
    (object) => object.kind === 'Deployment' && object.metadata.name === name,
  ) as unknown as { spec: { template: { spec: { containers: Array<{ command: string[] }> } } } };
  const command = deployment.spec.template.spec.containers[0]?.command ?? [];
  return command.map((arg) => {
    if (arg === '--in-cluster') return `--kubeconfig=${KUBECONFIG}`;
    const addr = /^--(addr|gateway-addr|preview-addr|metrics-addr)=0\.0\.0\.0:\d+$/.exec(arg);
    return addr === null ? arg : `--${addr[1]}=127.0.0.1:0`;
  });
}

/** Starts `command` in the image and waits until it says where it listens. */
async function start(rootfs: string, container: Container, command: string[]): Promise<Started> {
  const [program = '', ...args] = inImage(rootfs, container, command);
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start:\n${log}`)), 60_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(log)?.[1];
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before listening:\n${log}`));
    });
  });
  return { child, url, log: () => log };
}

async function stop(started: Started | undefined): Promise<void> {
  const child = started?.child;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

describe('Paddock’s image on a cluster', {
  skip: kubeSkipReason ?? (bwrapSkipReason() || false),
  timeout: 120_000,
}, () => {
  let tree: ImageTree;
  let dir: string;
  let kube: KubeTestServer;
  let composite: CompositeCluster;
  let server: Started | undefined;
  let controller: Started | undefined;

  before(async () => {
    tree = await imageTree();
    const { rootfs } = tree;
    dir = mkdtempSync(join(walkableTmpdir(), 'paddock-image-cluster-'));
    chmodSync(dir, 0o755);
    // The server's volume is its uid's (fsGroup).
    const home = join(dir, 'server-home');
    mkdirSync(home);
    if (process.getuid?.() === 0) chownSync(home, imageUid(), imageUid());
    kube = await startKubeTestServer();
    await installPaddockTestCrds(kube);
    composite = await startCompositeCluster(kube.kubeconfig);
    // Readable by the image's uid (the composite's own directory is private).
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, readFileSync(composite.kubeconfig), { mode: 0o644 });
    const base: Container = {
      uid: imageUid(),
      hasNetwork: true,
      roBinds: [[kubeconfig, KUBECONFIG]],
    };
    [server, controller] = await Promise.all([
      start(
        rootfs,
        {
          ...base,
          binds: [[home, SERVER_HOME]],
          env: {
            PADDOCK_CREDENTIALS_NAMESPACE: 'paddock-system',
            PADDOCK_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
          },
        },
        deploymentCommand('paddock-server'),
      ),
      start(
        rootfs,
        {
          ...base,
          env: {
            PADDOCK_CONTROLLER_IDENTITY: 'paddock-controller-0',
            PADDOCK_CONTROLLER_NAMESPACE: 'paddock-system',
          },
        },
        deploymentCommand('paddock-controller'),
      ),
    ]);
  });

  after(async () => {
    await Promise.all([stop(server), stop(controller)]);
    await composite?.close();
    await kube?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    tree?.remove();
  });

  it('serves the API on the cluster’s resources and the built web UI', async () => {
    const url = server?.url ?? '';
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, {
      what: 'the server ready',
    });
    const list = await fetch(`${url}/api/v1/namespaces/default/sandboxes`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(list.status, 200, await list.clone().text());
    assert.deepEqual(((await list.json()) as { items: unknown[] }).items, []);
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" [^>]*src="\/assets\//);
  });

  it('runs the controller, ready once it leads', async () => {
    const url = controller?.url ?? '';
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, {
      what: 'the controller ready',
    });
    assert.match(controller?.log() ?? '', /paddock controller paddock-controller-0 for http/);
  });
});
