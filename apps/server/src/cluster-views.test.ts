// The admins' read-only cluster views (REST `/api/v1/cluster/…` and the MCP cluster tools) on a
// server whose engine has a Kubernetes client, against the core API stand-in of @paddock/kube
// (the test API server serves no core/v1): a user is refused, an admin is served summaries, a
// server without Kubernetes answers runtime_unavailable and offers no cluster tools, and every
// request the views make is one the server's role grants. On a whole cluster
// (PADDOCK_TEST_KUBECONFIG) the same routes run against it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createClient, type PaddockClient } from '@paddock/client';
import { isPaddockError } from '@paddock/core';
import {
  type Access,
  type ApiRequest,
  accessOf,
  type CoreApiObject,
  type CoreApiStandIn,
  KubeClient,
  SERVER_PERMISSIONS,
  startCoreApiStandIn,
} from '@paddock/kube';
import { hasKubernetesBackend, toolErrorOf } from '@paddock/mcp';
import { fullClusterSkipReason } from '@paddock/testkit';
import { bootstrapAdminKey } from './bootstrap-key.ts';
import { resolveConfig, upstreamsOf } from './config.ts';
import { type Engine, startEngine } from './engine.ts';
import { type RunningServer, startServer } from './server.ts';

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

const FIXTURES: CoreApiObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'default', creationTimestamp: ago(3600) },
    status: { phase: 'Active' },
  },
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'agent-helper', labels: { 'paddock.dev/agent': 'helper' } },
    status: { phase: 'Active' },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-0',
      namespace: 'default',
      labels: { app: 'web' },
      creationTimestamp: ago(120),
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true },
      ],
    } as CoreApiObject['metadata'],
    spec: {
      nodeName: 'node-a',
      containers: [
        { name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }] },
      ],
    },
    status: {
      phase: 'Running',
      podIP: '10.42.0.7',
      hostIP: '172.18.0.2',
      startTime: ago(110),
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        {
          name: 'web',
          image: 'nginx:1.27',
          imageID: '',
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: ago(100) } },
        },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'crash', namespace: 'default', labels: { app: 'worker' } },
    spec: {
      nodeName: 'node-b',
      containers: [
        { name: 'app', image: 'worker:1' },
        { name: 'proxy', image: 'envoy:1' },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
      containerStatuses: [
        {
          name: 'app',
          image: 'worker:1',
          imageID: '',
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        },
        {
          name: 'proxy',
          image: 'envoy:1',
          imageID: '',
          ready: true,
          restartCount: 0,
          state: { running: {} },
        },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      type: 'LoadBalancer',
      clusterIP: '10.43.0.10',
      selector: { app: 'web' },
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 }],
    },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.5' }] } },
  },
  {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'crash.1', namespace: 'default' },
    eventTime: ago(600),
    reportingController: 'kubelet',
    reportingInstance: 'node-b',
    action: 'Started',
    type: 'Normal',
    reason: 'Started',
    note: 'Started container app',
    regarding: { kind: 'Pod', name: 'crash', namespace: 'default' },
  },
  {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'crash.2', namespace: 'default' },
    eventTime: ago(300),
    reportingController: 'kubelet',
    reportingInstance: 'node-b',
    action: 'BackOff',
    type: 'Warning',
    reason: 'BackOff',
    note: 'Back-off restarting failed container app',
    regarding: { kind: 'Pod', name: 'crash', namespace: 'default' },
    series: { count: 12, lastObservedTime: ago(10) },
  },
];

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isPaddockError(error)) return error.code;
    throw error;
  }
  return 'none';
}

async function mcpClient(url: string, token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'paddock-test', version: '0.0.0' });
  await client.connect(transport);
  return client;
}

describe('cluster views over a Kubernetes backend (core API stand-in)', () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cluster-views-'));
  const recorded: ApiRequest[] = [];
  const mcpClients: Client[] = [];
  let core: CoreApiStandIn;
  let kube: KubeClient;
  let engine: Engine;
  let plain: RunningServer;
  let onCluster: RunningServer;
  let admin: string;
  let alice: string;
  const api = (server: RunningServer, token: string): PaddockClient =>
    createClient({ baseUrl: server.url, token });

  before(async () => {
    core = await startCoreApiStandIn();
    await core.add(...FIXTURES);
    core.setLog('default', 'web-0', 'web', 'one\ntwo\nthree\n');
    core.setLog('default', 'crash', 'app', 'starting\nout of memory\n');
    kube = await KubeClient.fromKubeconfig(core.kubeconfig);
    kube.onRequest = (request) => recorded.push(request);
    const config = resolveConfig({
      flags: { addr: '127.0.0.1:0', home, auth: 'required' },
      env: {},
    });
    engine = await startEngine(home, () => {}, {
      upstreams: upstreamsOf(config),
      gateway: config.gateway,
    });
    // One engine behind two servers: as it is, and with the cluster's client (what
    // `paddock server --kubeconfig` gives its handlers; the store and runtime stay local here).
    plain = await startServer(config, engine, () => {});
    onCluster = await startServer(config, { ...engine, cluster: { kube } }, () => {});
    admin = (await bootstrapAdminKey(engine.apiKeys, undefined, new Date()))?.key ?? '';
    alice = (
      await api(plain, admin).apiKeys.create({ name: 'alice', owner: 'alice', role: 'user' })
    ).key;
  });
  after(async () => {
    await Promise.all(mcpClients.map((c) => c.close()));
    await onCluster?.close();
    await plain?.close();
    await engine?.close();
    kube?.close();
    await core?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('tells anyone which backend the server runs on', async () => {
    assert.deepEqual(await api(onCluster, alice).cluster.info(), { backend: 'kubernetes' });
    assert.deepEqual(await api(plain, alice).cluster.info(), { backend: 'local' });
    assert.equal(await hasKubernetesBackend(api(onCluster, alice)), true);
    assert.equal(await hasKubernetesBackend(api(plain, admin)), false);
  });

  it('refuses a user every view, before asking the cluster', async () => {
    const before = recorded.length;
    const c = api(onCluster, alice).cluster;
    assert.equal(await codeOf(c.namespaces()), 'forbidden');
    assert.equal(await codeOf(c.pods('default')), 'forbidden');
    assert.equal(await codeOf(c.services('default')), 'forbidden');
    assert.equal(await codeOf(c.events('default')), 'forbidden');
    assert.equal(await codeOf(c.podLogs('default', 'web-0')), 'forbidden');
    assert.equal(recorded.length, before);
  });

  it('answers runtime_unavailable on a server without Kubernetes', async () => {
    const c = api(plain, admin).cluster;
    await assert.rejects(c.pods('default'), (error: unknown) => {
      assert.ok(isPaddockError(error));
      assert.equal(error.code, 'runtime_unavailable');
      assert.match(error.message, /does not run on Kubernetes/);
      return true;
    });
    assert.equal(await codeOf(c.namespaces()), 'runtime_unavailable');
    assert.equal(await codeOf(c.podLogs('default', 'web-0')), 'runtime_unavailable');
  });

  it('lists namespaces and pods as summaries, by label and by page', async () => {
    const c = api(onCluster, admin).cluster;
    const namespaces = await c.namespaces();
    assert.deepEqual(namespaces.items.map((n) => [n.name, n.phase]).sort(), [
      ['agent-helper', 'Active'],
      ['default', 'Active'],
    ]);
    const dflt = namespaces.items.find((n) => n.name === 'default');
    assert.ok((dflt?.ageSeconds ?? 0) >= 3599, JSON.stringify(dflt));

    const pods = await c.pods('default');
    const web = pods.items.find((p) => p.name === 'web-0');
    assert.deepEqual(
      {
        status: web?.status,
        ready: web?.ready,
        node: web?.node,
        podIP: web?.podIP,
        owner: web?.owner,
        ports: web?.containers[0]?.ports,
      },
      {
        status: 'Running',
        ready: '1/1',
        node: 'node-a',
        podIP: '10.42.0.7',
        owner: 'StatefulSet/web',
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      },
    );
    const crash = pods.items.find((p) => p.name === 'crash');
    assert.equal(crash?.status, 'CrashLoopBackOff');
    assert.equal(crash?.ready, '1/2');
    assert.equal(crash?.restarts, 5);
    assert.equal(crash?.containers[0]?.lastTerminationReason, 'OOMKilled');
    assert.deepEqual(crash?.failingConditions, [
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
    ]);
    assert.equal('spec' in (crash ?? {}), false, 'a summary, not the manifest');

    const byLabel = await c.pods('default', { labelSelector: 'app=web' });
    assert.deepEqual(
      byLabel.items.map((p) => p.name),
      ['web-0'],
    );
    const first = await c.pods('default', { limit: 1 });
    assert.equal(first.items.length, 1);
    assert.ok(first.continue !== undefined);
    const second = await c.pods('default', { limit: 1, continue: first.continue });
    assert.notEqual(second.items[0]?.name, first.items[0]?.name);
    assert.equal(second.continue, undefined);
    assert.equal(
      await codeOf(c.pods('default', { labelSelector: 'app in (' })),
      'validation_failed',
    );
  });

  it('lists services and events (newest first)', async () => {
    const c = api(onCluster, admin).cluster;
    const services = await c.services('default');
    assert.deepEqual(services.items[0], {
      name: 'web',
      namespace: 'default',
      type: 'LoadBalancer',
      clusterIP: '10.43.0.10',
      loadBalancer: ['203.0.113.5'],
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 }],
      selector: { app: 'web' },
      createdAt: services.items[0]?.createdAt,
      ageSeconds: services.items[0]?.ageSeconds,
    });
    const events = await c.events('default');
    assert.deepEqual(
      events.items.map((e) => [e.type, e.reason, e.object, e.count, e.source]),
      [
        ['Warning', 'BackOff', 'Pod/crash', 12, 'kubelet'],
        ['Normal', 'Started', 'Pod/crash', 1, 'kubelet'],
      ],
    );
    assert.equal((await c.events('agent-helper')).items.length, 0);
  });

  it("reads a pod's log: tail, container choice, missing pods", async () => {
    const c = api(onCluster, admin).cluster;
    assert.equal(await c.podLogs('default', 'web-0'), 'one\ntwo\nthree\n');
    assert.equal(await c.podLogs('default', 'web-0', { tailLines: 2 }), 'two\nthree\n');
    await assert.rejects(c.podLogs('default', 'crash'), (error: unknown) => {
      assert.ok(isPaddockError(error));
      assert.equal(error.code, 'validation_failed');
      assert.match(error.message, /choose one of: \[app proxy\]/);
      return true;
    });
    assert.equal(
      await c.podLogs('default', 'crash', { container: 'app' }),
      'starting\nout of memory\n',
    );
    assert.equal(await codeOf(c.podLogs('default', 'gone')), 'not_found');
  });

  it('asks the API server only for what the server’s role grants', () => {
    const granted = SERVER_PERMISSIONS.flatMap((p) =>
      p.verbs.map((verb) => `${verb} ${p.group}/${p.resource}`),
    );
    const used = new Set(
      recorded
        .map(accessOf)
        .filter((a): a is Access => a !== 'discovery')
        .map((a) => `${a.verb} ${a.group}/${a.resource}`),
    );
    assert.deepEqual([...used].sort(), [
      'get /pods/log',
      'list /namespaces',
      'list /pods',
      'list /services',
      'list events.k8s.io/events',
    ]);
    assert.deepEqual(
      [...used].filter((access) => !granted.includes(access)),
      [],
    );
  });

  it('offers the cluster tools over /mcp only on Kubernetes; they answer admins, refuse users', async () => {
    const connect = async (server: RunningServer, token: string) => {
      const client = await mcpClient(server.url, token);
      mcpClients.push(client);
      return client;
    };
    const names = [
      'cluster_events',
      'cluster_namespaces',
      'cluster_pod_logs',
      'cluster_pods',
      'cluster_services',
    ];
    const rootOnCluster = await connect(onCluster, admin);
    const tools = (await rootOnCluster.listTools()).tools.filter((t) =>
      t.name.startsWith('cluster_'),
    );
    assert.deepEqual(tools.map((t) => t.name).sort(), names);
    for (const tool of tools) {
      assert.equal(tool.annotations?.readOnlyHint, true, tool.name);
      assert.equal(tool.annotations?.destructiveHint, false, tool.name);
    }
    const local = await connect(plain, admin);
    assert.deepEqual(
      (await local.listTools()).tools.filter((t) => t.name.startsWith('cluster_')),
      [],
    );

    const pods = await rootOnCluster.callTool({
      name: 'cluster_pods',
      arguments: { namespace: 'default', labelSelector: 'app=worker' },
    });
    assert.notEqual(pods.isError, true, JSON.stringify(pods.content));
    const items = (pods.structuredContent as { items: Array<{ name: string; status: string }> })
      .items;
    assert.deepEqual(
      items.map((p) => [p.name, p.status]),
      [['crash', 'CrashLoopBackOff']],
    );

    const namespaces = await rootOnCluster.callTool({ name: 'cluster_namespaces', arguments: {} });
    assert.equal((namespaces.structuredContent as { items: unknown[] }).items.length, 2);
    const services = await rootOnCluster.callTool({
      name: 'cluster_services',
      arguments: { namespace: 'default' },
    });
    assert.equal(
      (services.structuredContent as { items: Array<{ type: string }> }).items[0]?.type,
      'LoadBalancer',
    );
    const events = await rootOnCluster.callTool({
      name: 'cluster_events',
      arguments: { namespace: 'default', limit: 10 },
    });
    assert.equal(
      (events.structuredContent as { items: Array<{ reason: string }> }).items[0]?.reason,
      'BackOff',
    );
    const log = await rootOnCluster.callTool({
      name: 'cluster_pod_logs',
      arguments: { namespace: 'default', pod: 'crash', container: 'app', tailLines: 1 },
    });
    assert.deepEqual(log.structuredContent, {
      namespace: 'default',
      pod: 'crash',
      container: 'app',
      log: 'out of memory\n',
    });
    const ambiguous = await rootOnCluster.callTool({
      name: 'cluster_pod_logs',
      arguments: { namespace: 'default', pod: 'crash' },
    });
    assert.equal(toolErrorOf(ambiguous)?.code, 'validation_failed');

    const user = await connect(onCluster, alice);
    for (const [name, args] of [
      ['cluster_namespaces', {}],
      ['cluster_pods', { namespace: 'default' }],
      ['cluster_pod_logs', { namespace: 'default', pod: 'web-0' }],
    ] as const) {
      const refused = await user.callTool({ name, arguments: args });
      assert.equal(toolErrorOf(refused)?.code, 'forbidden', name);
    }
  });
});

describe('cluster views on a whole cluster', { skip: fullClusterSkipReason ?? false }, () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-cluster-views-full-'));
  let kube: KubeClient;
  let engine: Engine;
  let server: RunningServer;

  before(async () => {
    kube = await KubeClient.fromKubeconfig(process.env.PADDOCK_TEST_KUBECONFIG ?? '');
    const config = resolveConfig({ flags: { addr: '127.0.0.1:0', home }, env: {} });
    engine = await startEngine(home, () => {}, {
      upstreams: upstreamsOf(config),
      cluster: { client: kube },
    });
    server = await startServer(config, engine, () => {});
  });
  after(async () => {
    await server?.close();
    await engine?.close();
    kube?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('lists namespaces, kube-system’s pods and events, and reads a pod’s log', async () => {
    // Without --auth required on loopback the caller is the anonymous admin.
    const c = createClient({ baseUrl: server.url }).cluster;
    assert.deepEqual(await c.info(), { backend: 'kubernetes' });
    const names = (await c.namespaces()).items.map((n) => n.name);
    assert.ok(names.includes('kube-system'), names.join(', '));
    const pods = (await c.pods('kube-system')).items;
    assert.ok(pods.length > 0);
    assert.ok(pods.every((p) => p.containers.length > 0 && p.ready.includes('/')));
    await c.events('kube-system');
    await c.services('kube-system');
    const running = pods.find((p) => p.phase === 'Running');
    if (running !== undefined) {
      const container = running.containers[0]?.name ?? '';
      assert.equal(
        typeof (await c.podLogs('kube-system', running.name, { container, tailLines: 5 })),
        'string',
      );
    }
  });
});
