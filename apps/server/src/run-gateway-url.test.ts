// A run is handed the gateway URL the configuration names, whichever runtime is below: here the
// URL a cluster's server resolves by default (the Service's DNS name), given to an engine on
// this machine, reaches the harness's environment unchanged. The listener stays on loopback.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveConfig, upstreamsOf } from './config.ts';
import { startEngine } from './engine.ts';
import { finishedRun, runTranscript } from './run-test-support.ts';
import { type RunningServer, startServer } from './server.ts';
import type { TestServer } from './test-server.ts';

describe('the gateway URL of a run', () => {
  const home = mkdtempSync(join(tmpdir(), 'paddock-gateway-url-'));
  const config = resolveConfig({
    flags: { addr: '127.0.0.1:0', home, 'in-cluster': 'true', 'credentials-namespace': 'ops' },
    env: {},
  });
  let server: RunningServer;
  let engine: Awaited<ReturnType<typeof startEngine>>;
  let test: Pick<TestServer, 'call'>;

  before(async () => {
    engine = await startEngine(home, () => {}, {
      upstreams: upstreamsOf(config),
      // The cluster's URL, on a loopback listener: no fixed port is taken here.
      gateway: { addr: { host: '127.0.0.1', port: 0 }, url: config.gateway.url },
    });
    server = await startServer(config, engine, () => {});
    test = {
      call: (path, init = {}) =>
        fetch(`${server.url}${path}`, {
          ...init,
          headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
        }),
    };
  });
  after(async () => {
    await server?.close();
    for (const ref of (await engine?.runtime.list()) ?? []) await engine.runtime.destroy(ref);
    await engine?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("is the configured one (on a cluster: the gateway Service's DNS name)", async () => {
    assert.equal(config.gateway.url, 'http://paddock-gateway.ops.svc:8081');
    const res = await test.call('/api/v1/namespaces/default/runs', {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Run',
        metadata: { name: 'where' },
        spec: {
          agent: {
            harness: {
              kind: 'command',
              command: ['sh', '-c', 'echo "url=$ANTHROPIC_BASE_URL openai=$OPENAI_BASE_URL"'],
            },
          },
          prompt: 'where is the gateway?',
        },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const run = await finishedRun(test as TestServer, 'where');
    const events = JSON.stringify(await runTranscript(test as TestServer, 'where'));
    assert.equal(run.status.phase, 'Succeeded', events);
    assert.match(events, /url=http:\/\/paddock-gateway\.ops\.svc:8081\/gateway\/anthropic /);
    assert.match(events, /openai=http:\/\/paddock-gateway\.ops\.svc:8081\/gateway\/openai\/v1/);
  });
});
