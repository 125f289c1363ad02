/**
 * The composition of agents and runs: the run event log and the usage ledger, the LLM gateway on
 * its own listener (on one machine a loopback one, which sandboxes reach as the host service
 * `gateway.paddock.internal` and nothing else of Paddock; on a cluster one that sandbox pods of
 * runs reach through a Service), run tokens signed with a key kept in the data directory, the
 * harness mounted read-only into sandboxes, and the run controller. Runs are handed the URL the
 * configuration names, whichever runtime is below. The same listener serves Paddock's read-only
 * MCP endpoint (`/mcp`, mounted by the server) to runs whose template opts in: sandboxes reach
 * it only the way they reach the gateway, with the run's token.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CredentialSource,
  type EventRecorder,
  grantOf,
  type HarnessPaths,
  type RunController,
  type RunTokenVerifier,
  runGrantRules,
  type SpentToday,
  startRunController,
} from '@paddock/control';
import {
  DEFAULT_PRICE_TABLE,
  isPaddockError,
  McpToolset,
  type PriceTable,
  type ResourceStore,
  type Run,
  type RunEventLog,
  type SandboxRuntime,
  transcriptEvent,
  type UsageLedger,
} from '@paddock/core';
import {
  createGateway,
  createRunTokens,
  type Gateway,
  RUN_TOKEN_PREFIX,
  startOfUtcDay,
  type UpstreamConfig,
} from '@paddock/gateway';
import { HARNESS_LAYOUT, HARNESS_PATH, SANDBOX_HARNESS_PATHS } from '@paddock/kube';
import type { HostService } from '@paddock/runtime-local';

/** The name and port local sandboxes use for the gateway (through their egress proxy). */
export const GATEWAY_HOST = 'gateway.paddock.internal';
/** The path the gateway's routes live under, after its URL. */
const GATEWAY_PATH = '/gateway';
/** The path of Paddock's read-only MCP endpoint on the gateway's listener (see `mountMcp`). */
export const GATEWAY_MCP_PATH = '/mcp';
const RUN_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Where the harness lives inside every sandbox, laid out alike on both runtimes: bound from this
 * machine by the local runtime (`harnessToolMounts`), copied into a pod's emptyDir by an init
 * container of Paddock's image on a cluster (`@paddock/kube`'s `HARNESS_LAYOUT`).
 */
const HARNESS_ROOT = HARNESS_PATH;
/** The harness every run starts, whichever runtime is below. */
export const RUN_HARNESS: HarnessPaths = SANDBOX_HARNESS_PATHS;

export type UpstreamSettings = {
  anthropic?: { baseUrl: string; apiKey: () => Promise<string | undefined> };
  openai?: { baseUrl: string; apiKey: () => Promise<string | undefined> };
};

/**
 * Where the gateway listens (`addr`) and the URL sandboxes reach it at (`url`, without the
 * gateway's path): both from the server's configuration (`--gateway-addr`, `--gateway-url`).
 */
export type GatewaySettings = { addr: { host: string; port: number }; url: string };

/** One machine's: loopback, a free port, reached through the host service. */
export const LOCAL_GATEWAY: GatewaySettings = {
  addr: { host: '127.0.0.1', port: 0 },
  url: `http://${GATEWAY_HOST}`,
};

/** The gateway's own listener, started before the runtime so its port can be a host service. */
export type GatewayListener = {
  server: Server;
  /** What a local runtime offers its sandboxes: `GATEWAY_HOST`:80 to the listener's port. */
  hostService: HostService;
  /** The base URL runs are given: the configured URL and the gateway's path. */
  baseUrl: string;
  /** The URL of the read-only MCP endpoint as sandboxes see it: the configured URL and `/mcp`. */
  mcpUrl: string;
  /** Serves requests with `handler` from now on (503 until then). */
  mount(handler: RequestListener): void;
  /**
   * Serves `GATEWAY_MCP_PATH` with `handler` from now on (503 until then): the server's MCP
   * surface for run tokens, reached by sandboxes the way they reach the gateway.
   */
  mountMcp(handler: RequestListener): void;
  /** The address this machine reaches the listener at (for the server to dial its own API). */
  dialAddress: string;
};

export async function listenGateway(
  settings: GatewaySettings = LOCAL_GATEWAY,
): Promise<GatewayListener> {
  let handler: RequestListener | undefined;
  let mcpHandler: RequestListener | undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const chosen = path === GATEWAY_MCP_PATH ? mcpHandler : handler;
    if (chosen) chosen(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.addr.port, settings.addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    hostService: { host: GATEWAY_HOST, port: 80, target: { address: dialable(settings), port } },
    baseUrl: `${settings.url.replace(/\/+$/, '')}${GATEWAY_PATH}`,
    mcpUrl: `${settings.url.replace(/\/+$/, '')}${GATEWAY_MCP_PATH}`,
    mount: (h) => {
      handler = h;
    },
    mountMcp: (h) => {
      mcpHandler = h;
    },
    dialAddress: dialable(settings),
  };
}

/** The address this machine reaches the listener at: loopback for a wildcard bind. */
function dialable(settings: GatewaySettings): string {
  const { host } = settings.addr;
  const isWildcard = host === '0.0.0.0' || host === '::' || isIP(host) === 0;
  return isWildcard ? (host === '::' ? '::1' : '127.0.0.1') : host;
}

/** Host directories bound read-only into every sandbox: the Node.js and the harness's packages. */
export function harnessToolMounts(): Array<{ source: string; dest: string }> {
  const agentEntry = fileURLToPath(import.meta.resolve('@paddock/agent'));
  // packages/agent/src/index.ts → the repository root holding packages/ and node_modules/.
  const root = dirname(dirname(dirname(dirname(agentEntry))));
  const nodeHome = dirname(dirname(process.execPath));
  return [
    { source: nodeHome, dest: `${HARNESS_ROOT}/${dirname(dirname(HARNESS_LAYOUT.node))}` },
    { source: join(root, 'packages'), dest: `${HARNESS_ROOT}/${HARNESS_LAYOUT.packages}` },
    { source: join(root, 'node_modules'), dest: `${HARNESS_ROOT}/${HARNESS_LAYOUT.nodeModules}` },
  ];
}

/** The MCP toolset the resolved template of `run`'s sandbox opts into, if any. */
async function toolsetOf(store: ResourceStore, run: Run): Promise<McpToolset | undefined> {
  const name = run.status?.sandboxName;
  if (name === undefined) return undefined;
  try {
    const sandbox = await store.get('Sandbox', {
      namespace: run.metadata.namespace ?? 'default',
      name,
    });
    return sandbox.status?.resolved?.mcp;
  } catch (error) {
    if (isPaddockError(error, 'not_found')) return undefined;
    throw error;
  }
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
  /** The key run tokens are signed with: the same on every replica (`server-keys.ts`). */
  gatewayKey: Uint8Array;
  /**
   * Runs the run controller `start` makes, and stops it (default: at once, for good). On a
   * cluster: only while this replica leads the election of the run reconcilers.
   */
  hostRuns?: (start: () => Promise<RunController>) => RunController | Promise<RunController>;
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
  /** Checks run tokens for the API's authenticator: genuine, unexpired, and of a run still going. */
  runTokens: RunTokenVerifier;
  writers: RunWriters;
  spentToday: SpentToday;
  close(): Promise<void>;
};

export async function startRunServices(options: RunServicesOptions): Promise<RunServices> {
  const { store, runLog, ledger, log } = options;
  const tokens = createRunTokens(options.gatewayKey);
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
    if (!url.startsWith(`${GATEWAY_PATH}/`)) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"message":"not found"}}');
      return;
    }
    void gateway.handle(req, res, url.slice(GATEWAY_PATH.length + 1));
  });

  const spentToday: SpentToday = async ({ user, namespace }) => {
    const since = startOfUtcDay(new Date());
    const [u, n] = await Promise.all([
      ledger.totals({ user, since }),
      ledger.totals({ namespace, since }),
    ]);
    return { userSpentTodayUsd: u.costUsd, namespaceSpentTodayUsd: n.costUsd };
  };
  const startRuns = () =>
    startRunController({
      store,
      runtime: options.runtime,
      runLog,
      events: options.events,
      harness: RUN_HARNESS,
      gatewayFor: async (run) => ({
        baseUrl: options.gateway.baseUrl,
        token: tokens.issue(grantOf(run), RUN_TOKEN_TTL_MS),
        ...((await toolsetOf(store, run)) === McpToolset.PaddockReadonly
          ? { mcpUrl: options.gateway.mcpUrl }
          : {}),
      }),
      spentToday,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      othersWritten: (uid, signal) => callsRecorded(gateway, uid, signal),
      log,
    });
  const runs = await (options.hostRuns ?? ((start) => start()))(startRuns);
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
  const runTokens: RunTokenVerifier = {
    prefix: RUN_TOKEN_PREFIX,
    verify: async (token) => {
      const accepted = tokens.accept(token);
      return accepted !== undefined && (await grants.isActive(accepted.grant))
        ? accepted
        : undefined;
    },
  };
  return {
    runs,
    runTokens,
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

/** Resolves once the gateway has recorded every call of run `uid` it serves, or `signal` aborts. */
function callsRecorded(gateway: Gateway, uid: string, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = () => {
      if (!signal.aborted && gateway.callsInFlight(uid) > 0) return;
      off();
      signal.removeEventListener('abort', check);
      resolve();
    };
    const off = gateway.subscribe(check);
    signal.addEventListener('abort', check);
    check();
  });
}
