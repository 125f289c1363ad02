import { join } from 'node:path';
import {
  type CredentialSource,
  type RunController,
  type RunTokenVerifier,
  type SpentToday,
  startSandboxController,
} from '@paddock/control';
import {
  type ApiKeyStore,
  type AuditLog,
  type CredentialStore,
  type EventLog,
  type ResourceStore,
  type RunEventLog,
  type SandboxRuntime,
  type StorageReserve,
  SYSTEM_NAMESPACE,
  type UsageCellReader,
} from '@paddock/core';
import { type KubeClient, KubeCredentialStore } from '@paddock/kube';
import { createLocalRuntime } from '@paddock/runtime-local';
import {
  openPostgresApiKeyStore,
  openPostgresAuditLog,
  openPostgresDatabase,
  openPostgresEventLog,
  openPostgresRunEventLog,
  openPostgresUsageCells,
  openPostgresUsageLedger,
  type PostgresDatabase,
} from '@paddock/store-postgres';
import {
  openDiskReserve,
  openSqliteApiKeyStore,
  openSqliteAuditLog,
  openSqliteCredentialStore,
  openSqliteEventLog,
  openSqliteRunEventLog,
  openSqliteStore,
  openSqliteUsageCells,
  openSqliteUsageLedger,
} from '@paddock/store-sqlite';
import { ensureBuiltinTemplates } from './builtin-templates.ts';
import {
  clusterRunHost,
  clusterServerKeys,
  openClusterBackend,
  type SandboxesView,
} from './cluster-backend.ts';
import { runCredentialSource, withCredentialKeys } from './credential-use.ts';
import {
  type GatewayListener,
  type GatewaySettings,
  harnessToolMounts,
  listenGateway,
  type RunWriters,
  startRunServices,
  type UpstreamSettings,
} from './run-services.ts';
import { localServerKeys, type ServerKeys } from './server-keys.ts';

export type Engine = {
  store: ResourceStore;
  auditLog: AuditLog;
  apiKeys: ApiKeyStore;
  /**
   * Credentials: encrypted with the key in `<home>/credentials.key` on one machine, Secrets of
   * the server's namespace on a cluster.
   */
  credentials: CredentialStore;
  runtime: SandboxRuntime;
  /** The sandbox reconcilers (on one machine) or what the server reads of them (a cluster's). */
  controller: SandboxesView;
  /** The reconcilers' events (Admitted, ProvisionStep, TimedOut, …), kept in `paddock.db`. */
  events: EventLog;
  /** Runs' transcripts, kept in `paddock.db`. */
  runLog: RunEventLog;
  runs: RunController;
  /** Run tokens as API credentials (read-only in the run's namespace; see `requireInScope`). */
  runTokens: RunTokenVerifier;
  /** The gateway's listener, where the server mounts the MCP endpoint runs reach. */
  gateway: GatewayListener;
  /** The keys of run tokens and E2B access tokens: files of `home`, or a cluster's Secrets. */
  keys: ServerKeys;
  /** What may still append to a run's transcript in this process (see `RunWriters`). */
  runWriters: RunWriters;
  /** Model spend today per user and namespace (the gateway's ledger), for run admission. */
  spentToday: SpentToday;
  /** The gateway's ledger read as cells (calls summed per hour, namespace, user, agent, model). */
  usage: UsageCellReader & { close(): Promise<void> };
  /**
   * Present only on a cluster (`paddock server --kubeconfig|--in-cluster`): the client of its
   * Kubernetes API, for the admins' read-only views of core objects (pods, services, events,
   * logs, namespaces). Everything else reaches the cluster through `store` and `runtime`.
   */
  cluster?: { kube: KubeClient };
  /** Stops reconciling and closes the stores; sandboxes keep running for the next start to adopt. */
  close(): Promise<void>;
};

const DAY_MS = 24 * 60 * 60 * 1000;

export type EngineOptions = {
  /** Events older than this are pruned at start and daily (default 30); each sandbox name also
   * keeps only its newest 1 000, so a deleted sandbox's events linger until one of these. */
  eventRetentionDays?: number;
  /** Where the gateway forwards model calls, with the provider keys (which never enter a sandbox). */
  upstreams?: UpstreamSettings;
  /**
   * Space kept free on the data disk for deletes, stops and exec when sandboxes fill it (default
   * 16 MiB): the file `paddock.db-reserve` (see docs/server.md, "When the disk is full").
   */
  reserveBytes?: number;
  /**
   * Run on this Kubernetes cluster (`paddock server --kubeconfig|--in-cluster`): resources in its
   * API, sandboxes as pods, timelines from its Events; `paddock controller` reconciles them.
   * Credentials are Secrets of `credentialsNamespace` (default `paddock-system`), read and
   * written only when one is used; so are the server's keys, and the Lease of the run
   * reconcilers; the server's other records (audit, API keys, transcripts, usage) stay in
   * `home`, or go to `database`.
   */
  cluster?: { client: KubeClient; credentialsNamespace?: string };
  /**
   * A PostgreSQL URL: audit, API keys, run transcripts and usage (and, on one machine, resource
   * events) in that database, shared by every replica. On a cluster that leaves nothing in
   * `home` a second replica lacks (credentials are Secrets); on one machine, credentials and
   * resources stay in `home`. On a cluster, the replicas share the server's keys (Secrets) and
   * elect the one that runs the run reconcilers (a Lease).
   */
  database?: string;
  /**
   * Where the LLM gateway listens and the URL runs reach it at (default: loopback, through the
   * local runtime's host service). The engine hands runs this URL whatever runtime is below.
   */
  gateway?: GatewaySettings;
  /**
   * On one machine, whether this process reconciles Sandboxes (default true). `false` admits and
   * stores them but provisions none (no sandbox, warm-pool, snapshot or volume reconcilers), like
   * a cluster's API server without `paddock controller`: for tests of the API alone, which own
   * every write to the objects they make.
   */
  hasSandboxReconcilers?: boolean;
};

/**
 * The server's composition root. On one machine: the SQLite store and event log in
 * `<home>/paddock.db`, the bubblewrap runtime under `<home>/sandboxes` and the reconcilers that
 * drive it. On a cluster (`cluster`): the Kubernetes store, pods, Events and Secrets, reconciled
 * by `paddock controller`. Either way: the audit log, API keys, run transcripts and usage in
 * `paddock.db` (or PostgreSQL with `database`), the disk reserve, the built-in templates, the
 * gateway and the run reconcilers.
 */
export async function startEngine(
  home: string,
  log: (line: string) => void,
  options: EngineOptions = {},
): Promise<Engine> {
  const path = join(home, 'paddock.db');
  const storageReserve = openDiskReserve({
    databasePath: path,
    ...(options.reserveBytes === undefined ? {} : { sizeBytes: options.reserveBytes }),
  });
  if (!storageReserve.isHeld) {
    log(
      `the data disk is nearly full: no room yet for the ${storageReserve.sizeBytes}-byte reserve`,
    );
  }
  const shared =
    options.database === undefined
      ? undefined
      : await openPostgresDatabase({ url: options.database });
  const auditLog =
    shared === undefined
      ? await openSqliteAuditLog({ path })
      : await openPostgresAuditLog({ database: shared });
  const apiKeys =
    shared === undefined
      ? await openSqliteApiKeyStore({ path })
      : await openPostgresApiKeyStore({ database: shared });
  const credentials =
    options.cluster === undefined
      ? await openSqliteCredentialStore({ path, keyFile: join(home, 'credentials.key') })
      : new KubeCredentialStore(options.cluster.client, {
          ...(options.cluster.credentialsNamespace === undefined
            ? {}
            : { namespace: options.cluster.credentialsNamespace }),
        });
  const credentialAudit = { auditLog, log };
  const credentialSource = runCredentialSource(credentials, credentialAudit);
  const runLog =
    shared === undefined
      ? await openSqliteRunEventLog({ path })
      : await openPostgresRunEventLog({ database: shared });
  const ledger =
    shared === undefined
      ? await openSqliteUsageLedger({ path })
      : await openPostgresUsageLedger({ database: shared });
  const usage =
    shared === undefined
      ? await openSqliteUsageCells({ path })
      : await openPostgresUsageCells({ database: shared });
  const gateway = await listenGateway(options.gateway);
  const backend =
    options.cluster === undefined
      ? await openLocalBackend(home, path, storageReserve, gateway, credentialSource, log, {
          ...options,
          ...(shared === undefined ? {} : { events: shared }),
        })
      : await openClusterBackend(options.cluster.client, log);
  const { store, runtime, events } = backend;
  const created = await ensureBuiltinTemplates(store);
  if (created.length > 0) log(`created built-in templates: ${created.join(', ')}`);
  const controller = backend.sandboxes;
  // On a cluster every replica reads the same keys, and one at a time runs the run reconcilers.
  const serverNamespace = options.cluster?.credentialsNamespace ?? SYSTEM_NAMESPACE;
  const keys =
    options.cluster === undefined
      ? localServerKeys(home)
      : await clusterServerKeys(options.cluster.client, serverNamespace, home, log);
  const runServices = await startRunServices({
    home,
    store,
    runtime,
    runLog,
    ledger,
    events,
    gateway,
    gatewayKey: keys.gateway,
    ...(options.cluster === undefined
      ? {}
      : { hostRuns: clusterRunHost(options.cluster.client, serverNamespace, log) }),
    upstreams: withCredentialKeys(options.upstreams ?? {}, credentials, credentialAudit),
    credentials: credentialSource,
    log,
  });
  if (options.cluster === undefined) {
    const adopted = (await runtime.list()).length;
    if (adopted > 0) log(`adopted ${adopted} sandbox(es) from a previous run`);
  }
  return {
    store,
    auditLog,
    apiKeys,
    credentials,
    runtime,
    controller,
    events,
    runLog,
    runs: runServices.runs,
    runTokens: runServices.runTokens,
    gateway,
    keys,
    runWriters: runServices.writers,
    spentToday: runServices.spentToday,
    usage,
    ...(options.cluster === undefined ? {} : { cluster: { kube: options.cluster.client } }),
    close: async () => {
      await runServices.close();
      await backend.close();
      await Promise.allSettled([
        auditLog.close(),
        apiKeys.close(),
        credentials.close(),
        runLog.close(),
        ledger.close(),
        usage.close(),
      ]);
      await shared?.close();
    },
  };
}

/**
 * One machine's resources and sandboxes: the SQLite store and event log in `paddock.db`, the
 * bubblewrap runtime under `<home>/sandboxes`, and the reconcilers that drive it.
 */
async function openLocalBackend(
  home: string,
  path: string,
  storageReserve: StorageReserve,
  gateway: GatewayListener,
  credentials: CredentialSource,
  log: (line: string) => void,
  options: EngineOptions & { events?: PostgresDatabase },
) {
  const store = await openSqliteStore({ path, storageReserve });
  const events =
    options.events === undefined
      ? await openSqliteEventLog({ path })
      : await openPostgresEventLog({ database: options.events });
  const retentionMs = (options.eventRetentionDays ?? 30) * DAY_MS;
  const pruneEvents = () =>
    events
      .prune(new Date(Date.now() - retentionMs))
      .catch((error: unknown) => log(`event prune failed: ${(error as Error).message}`));
  await pruneEvents();
  const pruneTimer = setInterval(() => void pruneEvents(), DAY_MS);
  pruneTimer.unref();
  const runtime = createLocalRuntime({
    root: join(home, 'sandboxes'),
    egress: { hostServices: [gateway.hostService] },
    toolMounts: harnessToolMounts(),
    storageReserve,
  });
  const sandboxes: SandboxesView =
    options.hasSandboxReconcilers === false
      ? { cache: store, warmPool: { stats: () => [] }, idle: async () => {}, stop: async () => {} }
      : await startSandboxController({ store, runtime, events, log, credentials });
  return {
    store,
    runtime,
    events,
    sandboxes,
    close: async () => {
      clearInterval(pruneTimer);
      await sandboxes.stop();
      // The egress proxies of allowlist sandboxes live in this process; the sandboxes do not.
      await runtime.close();
      await Promise.allSettled([store.close(), events.close()]);
    },
  };
}
