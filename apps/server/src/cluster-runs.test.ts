// A run of an agent on a cluster, end to end: `paddock server --kubeconfig` and `paddock
// controller --harness-image` as processes on the composite cluster (the test API server for
// CRDs, the stand-in of @paddock/kube for pods: bubblewrap mount namespaces of this machine,
// Paddock's image standing for this checkout). The server's run reconcilers make the run's
// Sandbox, the controller makes it a pod whose init container copies the harness; the server
// starts the harness through pods/exec, which reaches models through the server's gateway with
// a run token, in front of a scripted Anthropic-compatible model; the transcript and usage come
// back through the REST API. The provider key stays in the server.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, type PaddockClient } from '@paddock/client';
import {
  type CompositeCluster,
  installPaddockTestCrds,
  startCompositeCluster,
} from '@paddock/kube';
import {
  bwrapSkipReason,
  eventually,
  freePort,
  type KubeTestServer,
  kubeSkipReason,
  type PaddockProcess,
  type RecordedRequest,
  type ScriptedLlm,
  type ScriptedTurn,
  startKubeTestServer,
  startPaddockProcess,
  startScriptedLlm,
} from '@paddock/testkit';
import { lastToolResult } from './run-test-support.ts';

const v = 'paddock.dev/v1alpha1' as const;
const serverMain = fileURLToPath(new URL('./main.ts', import.meta.url));
const controllerMain = fileURLToPath(new URL('../../controller/src/main.ts', import.meta.url));
const ROOT = resolve(dirname(serverMain), '..', '..', '..');
const IMAGE = 'registry.example/paddock/paddock:test';
const PROVIDER_KEY = 'sk-ant-provider-key-that-stays-in-the-server';

describe('a run of an agent on pods', {
  skip:
    kubeSkipReason ??
    bwrapSkipReason() ??
    (process.env.PADDOCK_TEST_KUBECONFIG === undefined
      ? false
      : 'stands in for Paddock’s image with this checkout, which a whole cluster cannot pull'),
  timeout: 180_000,
}, () => {
  let llm: ScriptedLlm;
  let kube: KubeTestServer;
  let composite: CompositeCluster;
  let server: PaddockProcess;
  let controller: PaddockProcess;
  let paddock: PaddockClient;
  let turns: Array<(request: RecordedRequest) => ScriptedTurn> = [];
  const dir = mkdtempSync(join(tmpdir(), 'paddock-cluster-runs-'));

  before(async () => {
    llm = await startScriptedLlm({
      requireKey: PROVIDER_KEY,
      script: (request) =>
        turns.shift()?.(request) ?? { error: { status: 500, message: 'script exhausted' } },
    });
    kube = await startKubeTestServer();
    await installPaddockTestCrds(kube);
    composite = await startCompositeCluster(kube.kubeconfig, {
      // Paddock's image is this checkout and its Node.js, read-only.
      images: {
        [IMAGE]: {
          binds: [ROOT, dirname(dirname(process.execPath))],
          command: (argv) => [process.execPath, controllerMain, ...argv.slice(2)],
        },
      },
      // The harness is about 150 MiB per pod: in memory where there is a tmpfs.
      ...(existsSync('/dev/shm') ? { tmpdir: '/dev/shm' } : {}),
    });
    // The stand-in's pods share this machine's network: the gateway is on loopback.
    const gatewayPort = await freePort();
    [server, controller] = await Promise.all([
      startPaddockProcess(
        [
          serverMain,
          '--kubeconfig',
          composite.kubeconfig,
          '--addr',
          '127.0.0.1:0',
          '--gateway-addr',
          `127.0.0.1:${gatewayPort}`,
          '--gateway-url',
          `http://127.0.0.1:${gatewayPort}`,
          '--anthropic-base-url',
          llm.url,
          '--home',
          join(dir, 'server'),
        ],
        { env: { ...process.env, ANTHROPIC_API_KEY: PROVIDER_KEY } },
      ),
      startPaddockProcess([
        controllerMain,
        '--kubeconfig',
        composite.kubeconfig,
        '--metrics-addr',
        '127.0.0.1:0',
        '--harness-image',
        IMAGE,
        '--harness-clis=',
        '--gateway-port',
        String(gatewayPort),
      ]),
    ]);
    paddock = createClient({ baseUrl: server.url });
  });

  after(async () => {
    await paddock?.runs.delete('hello').catch(() => {});
    await server?.stop();
    await controller?.stop();
    await composite?.close();
    await kube?.stop();
    await llm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the harness in the run’s pod, through the gateway, to a transcript', async () => {
    turns = [
      () => ({
        toolCalls: [
          {
            name: 'bash',
            input: { command: 'echo "in $HOSTNAME"; env | grep -c sk-ant-provider || true' },
          },
        ],
      }),
      (request) => ({ text: `saw: ${lastToolResult(request)}` }),
    ];
    await paddock.resources('SandboxTemplate').create({
      apiVersion: v,
      kind: 'SandboxTemplate',
      metadata: { name: 'box' },
      spec: { network: { egress: 'none' } },
    });
    await paddock.runs.create({
      apiVersion: v,
      kind: 'Run',
      metadata: { name: 'hello' },
      spec: {
        agent: {
          harness: { kind: 'builtin' },
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          templateRef: { kind: 'SandboxTemplate', name: 'box' },
        },
        prompt: 'say where you are',
      },
    });
    const run = await eventually(
      async () => {
        const current = await paddock.runs.get('hello');
        const phase = current.status?.phase;
        return phase !== undefined && !['Pending', 'Starting', 'Running'].includes(phase)
          ? current
          : undefined;
      },
      { timeoutMs: 120_000, what: 'the run to finish' },
    );
    assert.equal(run.status?.phase, 'Succeeded', JSON.stringify(run.status));
    // The tool ran in the run's pod; the provider key was nowhere in its environment.
    assert.deepEqual(run.status?.result, { text: 'saw: in run-hello\n0\nexit code: 0' });
    assert.equal(llm.requests.length, 2);
    assert.ok(
      composite.routed.some((line) =>
        /^pods GET \/api\/v1\/namespaces\/default\/pods\/run-hello\/exec\?/.test(line),
      ),
      'the harness was started through pods/exec',
    );
    assert.equal(run.status?.usage?.turns, 2);
    const types = (await paddock.runs.events('hello')).items.map((e) => e.type);
    for (const type of ['tool.call', 'tool.result', 'llm.call', 'run.finished'] as const) {
      assert.ok(types.includes(type), `${type} in the transcript: ${types.join(' ')}`);
    }
  });
});
