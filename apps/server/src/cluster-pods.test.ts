// The server's public surface on sandboxes that are pods: `paddock server --kubeconfig` and
// `paddock controller` as real processes on one kubeconfig that serves both Paddock's CRDs (the
// test API server) and pods (the stand-in of @paddock/kube: each pod a bubblewrap mount
// namespace of this machine, with pods/exec, pods/portforward and logs), routed by
// `startCompositeCluster`. A Sandbox made through REST becomes a pod; then exec and files
// through REST, the terminal WebSocket, a port forward, the preview proxy, an MCP tool and the
// official E2B SDK reach into it, all through the pod runtime's exec and port-forward. With
// PADDOCK_TEST_KUBECONFIG the same runs on that whole cluster instead (the sandbox image from
// PADDOCK_TEST_SANDBOX_IMAGE, which needs python3).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createClient, type PaddockClient } from '@paddock/client';
import { isPaddockError } from '@paddock/core';
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
  startKubeTestServer,
  startPaddockProcess,
} from '@paddock/testkit';
import { Sandbox } from 'e2b';
import { exchangePreviewUrl, previewRequest } from './preview/preview-test-client.ts';

const v = 'paddock.dev/v1alpha1' as const;
const serverMain = fileURLToPath(new URL('./main.ts', import.meta.url));
const controllerMain = fileURLToPath(new URL('../../controller/src/main.ts', import.meta.url));
const WEB_INDEX = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));
const PAGE = '<h1>served from a pod</h1>\n';

describe('the server’s surfaces on pods: terminal, previews, exec, files, MCP, E2B', {
  skip: kubeSkipReason ?? bwrapSkipReason(),
  timeout: 120_000,
}, () => {
  let kube: KubeTestServer;
  let composite: CompositeCluster | undefined;
  let server: PaddockProcess;
  /** A second replica of the server, on the same cluster (sharing its keys). */
  let replica: PaddockProcess;
  let controller: PaddockProcess;
  let paddock: PaddockClient;
  let port = 0;
  const dir = mkdtempSync(join(tmpdir(), 'paddock-cluster-pods-'));
  const serverArgs = (kubeconfig: string, home: string) => [
    serverMain,
    '--kubeconfig',
    kubeconfig,
    '--addr',
    '127.0.0.1:0',
    '--gateway-addr',
    '127.0.0.1:0',
    '--home',
    join(dir, home),
  ];

  before(async () => {
    kube = await startKubeTestServer();
    await installPaddockTestCrds(kube);
    if (!kube.full) composite = await startCompositeCluster(kube.kubeconfig);
    const kubeconfig = composite?.kubeconfig ?? kube.kubeconfig;
    [server, replica, controller] = await Promise.all([
      startPaddockProcess(serverArgs(kubeconfig, 'server')),
      startPaddockProcess(serverArgs(kubeconfig, 'replica')),
      startPaddockProcess([
        controllerMain,
        '--kubeconfig',
        kubeconfig,
        '--namespace',
        'paddock-system',
        '--metrics-addr',
        '127.0.0.1:0',
      ]),
    ]);
    paddock = createClient({ baseUrl: server.url });
    port = await freePort();
    await paddock.resources('SandboxTemplate').create({
      apiVersion: v,
      kind: 'SandboxTemplate',
      metadata: { name: 'web' },
      spec: {
        ...(kube.full ? { image: process.env.PADDOCK_TEST_SANDBOX_IMAGE ?? 'python:3-slim' } : {}),
        files: [{ path: '/workspace/index.html', content: PAGE }],
        command: ['python3', '-m', 'http.server', String(port), '--directory', '/workspace'],
        ports: [{ name: 'web', port, protocol: 'http' }],
      },
    });
    await paddock.sandboxes.create({
      apiVersion: v,
      kind: 'Sandbox',
      metadata: { name: 'web' },
      spec: { templateRef: { kind: 'SandboxTemplate', name: 'web' } },
    });
    await paddock.sandboxes
      .waitFor('web', (s) => s.status?.phase === 'Running', {
        timeoutMs: kube.full ? 300_000 : 30_000,
      })
      .catch(async (error: Error) => {
        // What the controller did and asked for says why: it goes into the failure.
        const events = await paddock.sandboxes.events('web').catch(() => undefined);
        const reasons = events?.items.map((e) => `${e.reason}: ${e.message}`) ?? [];
        const routed = composite?.routed.filter((line) => !line.includes('/leases/')) ?? [];
        throw new Error(
          [
            error.message,
            `events: ${reasons.join('; ')}`,
            `controller: ${controller.stderr().slice(-2000)}`,
            `last requests: ${routed.slice(-40).join('\n')}`,
          ].join('\n'),
        );
      });
  });

  after(async () => {
    await paddock?.sandboxes.delete('web').catch(() => {});
    await server?.stop();
    await replica?.stop();
    await controller?.stop();
    await composite?.close();
    await kube?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the web UI from the cluster’s server', async (t) => {
    if (!existsSync(WEB_INDEX)) return t.skip('the web UI is not built (npm run build)');
    const page = await fetch(`${server.url}/sandboxes/default/web`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /<script type="module"/);
  });

  it('made the Sandbox a pod, reached through pods/exec', async () => {
    if (composite !== undefined) {
      const pods = [...composite.pods.objects.values()].filter((o) => o.kind === 'Pod');
      assert.deepEqual(
        pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
        ['default/web'],
      );
    }
    const result = await paddock.sandboxes.exec('web', {
      command: ['sh', '-c', 'cat /workspace/index.html; echo "pid $$"; exit 3'],
    });
    assert.equal(result.exitCode, 3);
    assert.match(result.stdout, /^<h1>served from a pod<\/h1>\npid \d+\n$/);
    if (composite !== undefined) {
      assert.ok(
        composite.routed.some((line) =>
          /^pods GET \/api\/v1\/namespaces\/default\/pods\/web\/exec\?.*\(upgrade\)$/.test(line),
        ),
        'the exec went through pods/exec',
      );
    }
  });

  it('writes, lists and reads files through REST', async () => {
    await paddock.sandboxes.files.write('web', '/workspace/notes/a.txt', 'written through REST\n');
    const read = await paddock.sandboxes.files.read('web', '/workspace/notes/a.txt');
    assert.equal(new TextDecoder().decode(read), 'written through REST\n');
    const list = await paddock.sandboxes.files.list('web', '/workspace/notes');
    assert.deepEqual(
      list.items.map((f) => f.name),
      ['a.txt'],
    );
    const seen = await paddock.sandboxes.exec('web', {
      command: ['cat', '/workspace/notes/a.txt'],
    });
    assert.equal(seen.stdout, 'written through REST\n', 'the command sees what REST wrote');
  });

  it('runs a terminal: typed commands, a resize, the exit code', async () => {
    const terminal = await paddock.sandboxes.terminal('web', { cols: 90, rows: 20 });
    let output = '';
    terminal.on('output', (data) => {
      output += new TextDecoder().decode(data);
    });
    const waitFor = (pattern: RegExp) =>
      eventually(() => pattern.test(output), {
        timeoutMs: 15_000,
        what: `${pattern} in the terminal output ${JSON.stringify(output.slice(-200))}`,
      });
    terminal.write('stty size; echo in-""pod $(cat /workspace/notes/a.txt)\r');
    await waitFor(/^20 90\r?$/m);
    await waitFor(/^in-pod written through REST\r?$/m);
    terminal.resize(120, 40);
    await eventually(
      async () => {
        terminal.write('stty size\r');
        await new Promise((resolve) => setTimeout(resolve, 100));
        return /^40 120\r?$/m.test(output);
      },
      { timeoutMs: 15_000, what: 'the resize seen by the terminal' },
    );
    terminal.write('exit 5\r');
    assert.deepEqual(await terminal.done, { exitCode: 5, signal: null });
  });

  it('serves the pod’s HTTP server through the preview proxy and a port forward', async () => {
    const ports = await paddock.sandboxes.ports('web');
    const previewUrl = ports.items.find((p) => p.port === port)?.previewUrl;
    assert.ok(previewUrl, `a preview URL for port ${port}: ${JSON.stringify(ports)}`);
    const opened = await exchangePreviewUrl(previewUrl);
    // The main process may still be starting its listener: the proxy answers 502 until it listens.
    const page = await eventually(
      async () => {
        const answer = await previewRequest(`${opened.base}index.html`, {
          headers: { cookie: opened.cookie },
        });
        return answer.status === 200 ? answer : undefined;
      },
      { timeoutMs: 15_000, what: 'the pod’s HTTP server through the preview proxy' },
    );
    assert.equal(page.body, PAGE);
    if (composite !== undefined) {
      const forwarded = new RegExp(
        `^pods GET /api/v1/namespaces/default/pods/web/portforward\\?ports=${port}.*\\(upgrade\\)$`,
      );
      assert.ok(
        composite.routed.some((line) => forwarded.test(line)),
        'the preview went through pods/portforward',
      );
    }
    assert.equal(
      (await previewRequest(`${opened.base}index.html`)).status,
      401,
      'no cookie, no preview',
    );

    // The main process's output is the container's log (pods/log): the server's access lines.
    await eventually(
      async () => /"GET \/index\.html HTTP\/1\.1" 200/.test(await paddock.sandboxes.logs('web')),
      { timeoutMs: 15_000, what: 'the request in the sandbox’s log' },
    );

    // The other replica accepts what this one signed: the replicas share the preview key.
    const replicaOrigin = /previews on (http:\/\/\S+)/.exec(replica.stderr())?.[1];
    assert.ok(replicaOrigin, replica.stderr());
    const atReplica = new URL(previewUrl);
    atReplica.port = new URL(replicaOrigin).port;
    const openedThere = await exchangePreviewUrl(atReplica.toString());
    const there = await previewRequest(`${openedThere.base}index.html`, {
      headers: { cookie: openedThere.cookie },
    });
    assert.deepEqual([there.status, there.body], [200, PAGE]);

    const forward = await paddock.sandboxes.portForward('web', port);
    const writer = forward.writable.getWriter();
    await writer.write(new TextEncoder().encode('GET /index.html HTTP/1.0\r\n\r\n'));
    let answer = '';
    for await (const chunk of forward.readable) answer += new TextDecoder().decode(chunk);
    assert.match(answer, /^HTTP\/1\.0 200 OK\r\n/);
    assert.ok(answer.endsWith(PAGE), answer);
    forward.close();
  });

  it('answers MCP tools and the E2B SDK on pods', async () => {
    const mcp = new Client({ name: 'paddock-test', version: '0.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL('/mcp', server.url)));
    try {
      const result = await mcp.callTool({
        name: 'sandbox_exec',
        arguments: { name: 'web', command: 'cat /workspace/notes/a.txt' },
      });
      assert.deepEqual(
        (result.structuredContent as { exitCode: number; stdout: string }).stdout,
        'written through REST\n',
      );
    } finally {
      await mcp.close();
    }

    // The official SDK, pointed at the server: its sandbox is a pod too.
    const { key } = await paddock.apiKeys.create({ name: 'e2b' });
    const e2b = { apiUrl: `${server.url}/e2b`, sandboxUrl: `${server.url}/e2b`, apiKey: key };
    const sbx = await Sandbox.create('base', { ...e2b, timeoutMs: 120_000 });
    try {
      await sbx.files.write('/home/user/e2b.txt', 'from the e2b sdk');
      const run = await sbx.commands.run('cat /home/user/e2b.txt; echo " $((6 * 7))"');
      assert.equal(run.stdout, 'from the e2b sdk 42\n');
      if (composite !== undefined) {
        const pods = [...composite.pods.objects.values()].filter((o) => o.kind === 'Pod');
        assert.ok(
          pods.some((p) => p.metadata.name === sbx.sandboxId),
          `${sbx.sandboxId} among the pods`,
        );
      }
    } finally {
      await sbx.kill();
    }
  });

  it('deletes the Sandbox and its pod', async () => {
    await paddock.sandboxes.delete('web');
    const gone = await eventually(
      async () => {
        try {
          await paddock.sandboxes.get('web');
          return undefined;
        } catch (error) {
          return isPaddockError(error, 'not_found') ? error : undefined;
        }
      },
      { timeoutMs: 30_000, what: 'the Sandbox gone' },
    );
    // As on one machine: no path of the Kubernetes API in what the caller reads.
    assert.equal(gone.message, 'Sandbox default/web not found');
    if (composite !== undefined) {
      const pods = [...composite.pods.objects.values()].filter((o) => o.kind === 'Pod');
      assert.deepEqual(pods, [], 'the pod is gone');
    }
  });
});
