// The server's RBAC on a cluster (paddock install's role, from SERVER_PERMISSIONS) against the
// requests the server really makes: a server in cluster mode is driven through its REST API
// (templates, sandboxes, agents, runs, their events, deletes) on a real Kubernetes API server,
// every request recorded (KubeClient.onRequest); each must be one the role grants. Calls the
// test server cannot answer (pods, Secrets) are the pod runtime's and the credential store's,
// granted from their own rows.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Access,
  type ApiRequest,
  accessOf,
  installPaddockTestCrds,
  KubeClient,
  SERVER_PERMISSIONS,
} from '@paddock/kube';
import {
  eventually,
  type KubeTestServer,
  kubeSkipReason,
  startKubeTestServer,
  uniqueName,
} from '@paddock/testkit';
import { resolveConfig, upstreamsOf } from './config.ts';
import { type Engine, startEngine } from './engine.ts';
import { type RunningServer, startServer } from './server.ts';

const v = 'paddock.dev/v1alpha1';

describe('the server’s RBAC covers what it does on a cluster', {
  skip: kubeSkipReason ?? false,
}, () => {
  let kube: KubeTestServer;
  let client: KubeClient;
  let engine: Engine;
  let server: RunningServer;
  const home = mkdtempSync(join(tmpdir(), 'paddock-server-rbac-'));
  const recorded: ApiRequest[] = [];

  before(async () => {
    kube = await startKubeTestServer();
    await installPaddockTestCrds(kube);
    client = await KubeClient.fromKubeconfig(kube.kubeconfig);
    client.onRequest = (request) => recorded.push(request);
    const config = resolveConfig({ flags: { addr: '127.0.0.1:0', home }, env: {} });
    engine = await startEngine(home, () => {}, {
      upstreams: upstreamsOf(config),
      cluster: { client },
    });
    server = await startServer(config, engine, () => {});
  });
  after(async () => {
    await server?.close();
    await engine?.close();
    client?.close();
    await kube?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.ok(response.status < 300, `${method} ${path}: ${response.status} ${text}`);
    return text === '' ? {} : JSON.parse(text);
  };

  it('asks the API server only for what its role grants', async () => {
    const ns = uniqueName('rbac');
    const api = `/api/v1/namespaces/${ns}`;
    await call('POST', `${api}/sandboxtemplates`, {
      apiVersion: v,
      kind: 'SandboxTemplate',
      metadata: { name: 'box' },
      spec: {},
    });
    await call('POST', `${api}/sandboxes`, {
      apiVersion: v,
      kind: 'Sandbox',
      metadata: { name: 's1' },
      spec: { templateRef: { name: 'box' } },
    });
    await call('GET', `${api}/sandboxes`);
    await call('GET', `${api}/sandboxes/s1`);
    await call('GET', `${api}/sandboxes/s1/events`);
    await call('POST', `${api}/agents`, {
      apiVersion: v,
      kind: 'Agent',
      metadata: { name: 'helper' },
      spec: { harness: { kind: 'builtin' }, provider: 'anthropic', model: 'claude-sonnet-4-5' },
    });
    await call('POST', `${api}/runs`, {
      apiVersion: v,
      kind: 'Run',
      metadata: { name: 'r1' },
      spec: { agentRef: { name: 'helper' }, prompt: 'hello' },
    });
    // The server's run reconcilers take the Run up: they make its sandbox.
    await eventually(
      async () => {
        const list = (await call('GET', `${api}/sandboxes`)) as {
          items: Array<{ metadata: { ownerReferences?: Array<{ kind: string }> } }>;
        };
        return list.items.some((s) => s.metadata.ownerReferences?.some((o) => o.kind === 'Run'));
      },
      { what: 'the run’s sandbox made by the server' },
    );
    await call('DELETE', `${api}/runs/r1`);
    await call('DELETE', `${api}/agents/helper`);
    await call('DELETE', `${api}/sandboxtemplates/box`);

    const granted = SERVER_PERMISSIONS.flatMap((p) =>
      p.verbs.map((verb) => `${verb} ${p.group}/${p.resource}`),
    );
    const used = new Set(
      recorded
        .map(accessOf)
        .filter((a): a is Access => a !== 'discovery')
        .map((a) => `${a.verb} ${a.group}/${a.resource}`),
    );
    assert.ok(used.size > 5, [...used].join(', '));
    assert.deepEqual(
      [...used].filter((access) => !granted.includes(access)).sort(),
      [],
      'every request the server made is granted to it',
    );
  });
});
