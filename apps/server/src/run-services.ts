/**
 * The composition of agents and runs on one machine: the run event log and the usage ledger in
 * `paddock.db`, the LLM gateway on its own loopback listener (sandboxes reach it as the host
 * service `gateway.paddock.internal`, and nothing else of Paddock), run tokens signed with a key
 * kept in the data directory, the harness mounted read-only into sandboxes, and the run controller.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CredentialSource,
  type EventRecorder,
  grantOf,
  type RunController,
  runGrantRules,
  type SpentToday,
  startRunController,
} from '@paddock/control';
import {
  DEFAULT_PRICE_TABLE,
  type PriceTable,
  type ResourceStore,
  type RunEventLog,
  type SandboxRuntime,
  transcriptEvent,
  type UsageLedger,
} from '@paddock/core';
import {
  createGateway,
  createRunTokens,
  startOfUtcDay,
  type UpstreamConfig,
} from '@paddock/gateway';
import type { HostService } from '@paddock/runtime-local';

/** The name and port sandboxes use for the gateway (through their egress proxy). */
export const GATEWAY_HOST = 'gateway.paddock.internal';
const GATEWAY_BASE_URL = `http://${GATEWAY_HOST}/gateway`;
const RUN_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Where the harness lives inside every sandbox (see `toolMounts`). */
const HARNESS_ROOT = '/opt/paddock';

export type UpstreamSettings = {
  anthropic?: { baseUrl: string; apiKey: () => Promise<string | undefined> };
  openai?: { baseUrl: string; apiKey: () => Promise<string | undefined> };
};

/** The gateway's own listener, started before the runtime so its port can be a host service. */
export type GatewayListener = {
  server: Server;
  hostService: HostService;
  /** Serves requests with `handler` from now on (503 until then). */
  mount(handler: RequestListener): void;
};

export async function listenGateway(): Promise<GatewayListener> {
  let handler: RequestListener | undefined;
  const server = createServer((req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    hostService: { host: GATEWAY_HOST, port: 80, target: { address: '127.0.0.1', port } },
    mount: (h) => {
      handler = h;
    },
  };
}

/** Host directories bound read-only into every sandbox: the Node.js and the harness's packages. */
export function harnessToolMounts(): Array<{ source: string; dest: string }> {
  const agentEntry = fileURLToPath(import.meta.resolve('@paddock/agent'));
  // packages/agent/src/index.ts → the repository root holding packages/ and node_modules/.
  const root = dirname(dirname(dirname(dirname(agentEntry))));
  const nodeHome = dirname(dirname(process.execPath));
  return [
    { source: nodeHome, dest: `${HARNESS_ROOT}/node` },
    { source: join(root, 'packages'), dest: `${HARNESS_ROOT}/app/packages` },
    { source: join(root, 'node_modules'), dest: `${HARNESS_ROOT}/app/node_modules` },
  ];
}

/** The secret run tokens are signed with: kept in the data directory (0600), made once. */
function runTokenSecret(home: string): Uint8Array {
  const path = join(home, 'gateway.key');
  if (existsSync(path)) return readFileSync(path);
  const secret = randomBytes(32);
  writeFileSync(path, secret, { mode: 0o600, flag: 'wx' });
  return secret;
}

export type RunServicesOptions = {
  home: string;
  store: ResourceStore;
  runtime: SandboxRuntime;
  runLog: RunEventLog;
  ledger: UsageLedger;
  events: EventRecorder;
  gateway: GatewayListener;
  upstreams: UpstreamSettings;
  prices?: PriceTable;
  /** The credentials agents declare (see `runCredentialSource`). */
  credentials?: CredentialSource;
  log: (line: string) => void;
};

/**
 * Whether anything in this process may still append to a run's transcript (its harness's output
 * not yet drained, a model call of it not yet recorded by the gateway), and a feed woken
 * whenever that may have changed. A run's event stream ends only once nothing writes.
 */
export type RunWriters = {
  isWriting(runUid: string): boolean;
  subscribe(listener: () => void): () => void;
};

export type RunServices = {
  runs: RunController;
  writers: RunWriters;
  spentToday: SpentToday;
  close(): Promise<void>;
};

export async function startRunServices(options: RunServicesOptions): Promise<RunServices> {
  const { store, runLog, ledger, log } = options;
  const tokens = createRunTokens(runTokenSecret(options.home));
  const grants = runGrantRules(store, log);
  const upstreams: { anthropic?: UpstreamConfig; openai?: UpstreamConfig } = {
    ...(options.upstreams.anthropic ? { anthropic: options.upstreams.anthropic } : {}),
    ...(options.upstreams.openai ? { openai: options.upstreams.openai } : {}),
  };
  const gateway = createGateway({
    upstreams,
    prices: options.prices ?? DEFAULT_PRICE_TABLE,
    tokens,
    ledger,
    log,
    limitsFor: grants.limitsFor,
    isActive: grants.isActive,
    onCall: async (grant, call) => {
      const { runUid: _u, namespace: _n, runName: _r, user: _p, agent: _a, at, ...fields } = call;
      await runLog.append(grant.runUid, [
        transcriptEvent({ type: 'llm.call', ...fields }, new Date(at)),
      ]);
    },
    onBudgetExceeded: grants.onBudgetExceeded,
  });
  options.gateway.mount((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith('/gateway/')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"message":"not found"}}');
      return;
    }
    void gateway.handle(req, res, url.slice('/gateway/'.length));
  });

  const spentToday: SpentToday = async ({ user, namespace }) => {
    const since = startOfUtcDay(new Date());
    const [u, n] = await Promise.all([
      ledger.totals({ user, since }),
      ledger.totals({ namespace, since }),
    ]);
    return { userSpentTodayUsd: u.costUsd, namespaceSpentTodayUsd: n.costUsd };
  };
  const runs = await startRunController({
    store,
    runtime: options.runtime,
    runLog,
    events: options.events,
    harness: {
      node: `${HARNESS_ROOT}/node/bin/node`,
      agentMain: `${HARNESS_ROOT}/app/packages/agent/src/main.ts`,
    },
    gatewayFor: (run) => ({
      baseUrl: GATEWAY_BASE_URL,
      token: tokens.issue(grantOf(run), RUN_TOKEN_TTL_MS),
    }),
    spentToday,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    log,
  });
  const writers: RunWriters = {
    isWriting: (uid) => {
      const pump = runs.pumpState(uid);
      const isPumping = pump !== undefined && pump.exit === undefined && pump.error === undefined;
      return isPumping || gateway.callsInFlight(uid) > 0;
    },
    subscribe: (listener) => {
      const offPumps = runs.subscribePumps(listener);
      const offGateway = gateway.subscribe(listener);
      return () => {
        offPumps();
        offGateway();
      };
    },
  };
  return {
    runs,
    writers,
    spentToday,
    close: async () => {
      await runs.stop();
      // Sandboxes keep their SDKs' connections alive: close them, or close() waits for ever.
      const closed = new Promise<void>((resolve) => options.gateway.server.close(() => resolve()));
      options.gateway.server.closeAllConnections();
      await closed;
    },
  };
}
