// Test support: a real `paddock up` (engine + HTTP server) on 127.0.0.1:0 with a temp home.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalRuntime } from '@paddock/runtime-local';
import { eventually } from '@paddock/testkit';
import { type ConfigSources, resolveConfig, upstreamsOf } from './config.ts';
import { type Engine, type EngineOptions, startEngine } from './engine.ts';
import { type RunningServer, startServer } from './server.ts';

export type TestServer = {
  url: string;
  home: string;
  engine: Engine;
  server: RunningServer;
  logs: string[];
  call(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  close(): Promise<void>;
};

/**
 * Starts a server whose home is `flags.home` when given (left in place at close, e.g. a test's own
 * mount), else a fresh temp dir removed at close; with `flags.database` (a PostgreSQL URL) its
 * audit, API keys, transcripts and usage go there, as `paddock up --database` does. With
 * `engineOptions.hasSandboxReconcilers: false` it stores Sandboxes and provisions none.
 */
export async function startTestServer(
  flags: ConfigSources['flags'] = {},
  env: NodeJS.ProcessEnv = {},
  engineOptions: Pick<EngineOptions, 'hasSandboxReconcilers'> = {},
): Promise<TestServer> {
  const isOwnHome = flags.home === undefined;
  const home = flags.home ?? mkdtempSync(join(tmpdir(), 'paddock-server-'));
  const config = resolveConfig({ flags: { addr: '127.0.0.1:0', ...flags, home }, env });
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const engine = await startEngine(home, log, {
    upstreams: upstreamsOf(config),
    gateway: config.gateway,
    ...(config.database === undefined ? {} : { database: config.database }),
    ...engineOptions,
  });
  const server = await startServer(config, engine, log);
  return {
    url: server.url,
    home,
    engine,
    server,
    logs,
    call: (path, { token, headers, ...init } = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(init.body !== undefined && typeof init.body === 'string'
            ? { 'content-type': 'application/json' }
            : {}),
          ...Object.fromEntries(new Headers(headers)),
        },
      }),
    close: async () => {
      await server.close();
      for (const ref of await engine.runtime.list()) await engine.runtime.destroy(ref);
      await engine.close();
      // A provision still in flight at the list above (a run's sandbox, say) had no files yet:
      // once the controllers have stopped, a runtime on the same root, as after a restart, sees it.
      const after = createLocalRuntime({ root: join(home, 'sandboxes') });
      for (const ref of await after.list()) await after.destroy(ref);
      await after.close();
      if (isOwnHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

export const API = 'paddock.dev/v1alpha1';

/**
 * Creates sandbox `name` in `default` from `template` (the `shell` cluster template unless told)
 * as `token`, and waits until it is Running; a sandbox that ends in Error fails at once.
 */
export async function createRunningSandbox(
  s: TestServer,
  name: string,
  options: {
    template?: { kind: 'ClusterSandboxTemplate' | 'SandboxTemplate'; name: string };
    token?: string;
  } = {},
): Promise<void> {
  const token = options.token === undefined ? {} : { token: options.token };
  const res = await s.call('/api/v1/namespaces/default/sandboxes', {
    method: 'POST',
    ...token,
    body: JSON.stringify({
      apiVersion: API,
      kind: 'Sandbox',
      metadata: { name },
      spec: { templateRef: options.template ?? { kind: 'ClusterSandboxTemplate', name: 'shell' } },
    }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const phase = await eventually(
    async () => {
      const got = await s.call(`/api/v1/namespaces/default/sandboxes/${name}`, token);
      const phase = ((await got.json()) as { status?: { phase?: string } }).status?.phase;
      return phase === 'Running' || phase === 'Error' ? phase : undefined;
    },
    { timeoutMs: 60_000, what: `sandbox ${name} Running` },
  );
  assert.equal(phase, 'Running', `sandbox ${name}`);
}
