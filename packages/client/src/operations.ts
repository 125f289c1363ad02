import {
  type AnyRoute,
  CLUSTER_ROUTES,
  CREDENTIAL_ROUTES,
  type ListMeta,
  type ListQuery,
  type NdjsonPayload,
  RESOURCE_ROUTES,
  type Route,
  type RouteBody,
  type RouteParams,
  type RouteQuery,
  type RouteResult,
  RUN_ROUTES,
  SANDBOX_ROUTES,
  type SsePayload,
  SYSTEM_ROUTES,
  TEMPLATE_POLICY_ROUTES,
} from '@paddock/api';
import {
  KIND_NAMES,
  type KINDS,
  type Kind,
  type ResourceOf,
  type Scope,
  type WatchEvent,
} from '@paddock/core';
import type { z } from 'zod';

/**
 * What one operation takes and gives: path `params`, `query`, `body` (`undefined` = none), the
 * default `result` and the `item` of its streaming form (`never` when it has none).
 */
export type OperationTypes = {
  params: unknown;
  query: unknown;
  body: unknown;
  result: unknown;
  item: unknown;
};

/** Query-string booleans (`'true'`/`'false'` on the wire) also accept `true`/`false`. */
export type ClientQuery<Q> = {
  [K in keyof Q]: 'true' extends NonNullable<Q[K]> ? boolean | Q[K] : Q[K];
};

// A route defined without `query`/`body` leaves those type arguments at their defaults, which
// include `undefined`; one that declares them does not.
type RouteArgs<R> =
  R extends Route<z.ZodObject, infer Q, infer B> ? [Q, B] : [undefined, undefined];
type StreamItem<R> = R extends { responses: readonly (infer Res)[] }
  ? Res extends { content: readonly (infer C)[] }
    ? C extends SsePayload<infer S> | NdjsonPayload<infer S>
      ? z.output<S>
      : never
    : never
  : never;

/** The types of a sandbox or system route, from the api package's type helpers. */
type FromRoute<R> = {
  params: RouteParams<R>;
  query: undefined extends RouteArgs<R>[0] ? undefined : ClientQuery<RouteQuery<R>>;
  body: undefined extends RouteArgs<R>[1] ? undefined : RouteBody<R>;
  result: RouteResult<R>;
  item: StreamItem<R>;
};

/** Sandbox subresources by operationId (the api keys them by short name). */
export const SANDBOX_OPERATIONS = {
  stopSandbox: SANDBOX_ROUTES.stop,
  startSandbox: SANDBOX_ROUTES.start,
  pauseSandbox: SANDBOX_ROUTES.pause,
  resumeSandbox: SANDBOX_ROUTES.resume,
  execSandbox: SANDBOX_ROUTES.exec,
  execSandboxStream: SANDBOX_ROUTES.execStream,
  readSandboxFile: SANDBOX_ROUTES.readFile,
  writeSandboxFile: SANDBOX_ROUTES.writeFile,
  deleteSandboxFile: SANDBOX_ROUTES.removeFile,
  listSandboxFiles: SANDBOX_ROUTES.listFiles,
  statSandboxFile: SANDBOX_ROUTES.statFile,
  makeSandboxDirectory: SANDBOX_ROUTES.mkdir,
  moveSandboxFile: SANDBOX_ROUTES.move,
  downloadSandboxArchive: SANDBOX_ROUTES.downloadArchive,
  createSandboxDownloadLink: SANDBOX_ROUTES.downloadLink,
  downloadSandboxFileByLink: SANDBOX_ROUTES.downloadByLink,
  uploadSandboxArchive: SANDBOX_ROUTES.uploadArchive,
  listSandboxPorts: SANDBOX_ROUTES.ports,
  getSandboxLogs: SANDBOX_ROUTES.logs,
  listSandboxEvents: SANDBOX_ROUTES.events,
  listSandboxProcesses: SANDBOX_ROUTES.listProcesses,
  startSandboxProcess: SANDBOX_ROUTES.startProcess,
  getSandboxProcess: SANDBOX_ROUTES.getProcess,
  followSandboxProcess: SANDBOX_ROUTES.processOutput,
  killSandboxProcess: SANDBOX_ROUTES.killProcess,
} as const;

/** Run subresources by operationId: the transcript, messages and cancel. */
export const RUN_OPERATIONS = {
  listRunEvents: RUN_ROUTES.events,
  sendRunMessage: RUN_ROUTES.message,
  cancelRun: RUN_ROUTES.cancel,
  endRunInput: RUN_ROUTES.end,
} as const;

/** Audit, usage, keys, the caller, discovery and probes by operationId. */
export const SYSTEM_OPERATIONS = {
  listAuditRecords: SYSTEM_ROUTES.listAudit,
  getUsage: SYSTEM_ROUTES.usage,
  listWarmPools: SYSTEM_ROUTES.warmPools,
  createApiKey: SYSTEM_ROUTES.createApiKey,
  listApiKeys: SYSTEM_ROUTES.listApiKeys,
  revokeApiKey: SYSTEM_ROUTES.revokeApiKey,
  getCurrentUser: SYSTEM_ROUTES.currentUser,
  listKinds: SYSTEM_ROUTES.listKinds,
  getOpenApiDocument: SYSTEM_ROUTES.openapi,
  getHealth: SYSTEM_ROUTES.healthz,
  getReadiness: SYSTEM_ROUTES.readyz,
  getMetrics: SYSTEM_ROUTES.metrics,
  getAuthConfig: SYSTEM_ROUTES.authConfig,
} as const;

/** Credentials by operationId: create (write-only values), list, get, delete. */
export const CREDENTIAL_OPERATIONS = {
  createCredential: CREDENTIAL_ROUTES.create,
  listCredentials: CREDENTIAL_ROUTES.list,
  getCredential: CREDENTIAL_ROUTES.get,
  deleteCredential: CREDENTIAL_ROUTES.delete,
} as const;

export type NamespacedKind = {
  [K in Kind]: (typeof KINDS)[K]['scope'] extends typeof Scope.Namespaced ? K : never;
}[Kind];
/** A manifest of a kind as sent (defaults not yet applied). */
export type KindInput<K extends Kind> = z.input<(typeof KINDS)[K]['schema']>;

/** `{kind: 'SandboxList', metadata, items}`: the list of a kind. */
export type ResourceList<K extends Kind> = {
  apiVersion: 'paddock.dev/v1alpha1';
  kind: `${K}List`;
  metadata: z.output<typeof ListMeta>;
  items: ResourceOf<K>[];
};
/** Answer to a delete: gone, or kept as terminating while finalizers remain. */
export type DeleteResult<K extends Kind> = {
  status: 'deleted' | 'terminating';
  object: ResourceOf<K>;
};

type CollectionParams<K extends Kind> = K extends NamespacedKind
  ? { namespace: string }
  : Record<string, never>;
type ItemParams<K extends Kind> = K extends NamespacedKind
  ? { namespace: string; name: string }
  : { name: string };
type ListOperation<K extends Kind, P> = {
  params: P;
  query: ClientQuery<z.input<typeof ListQuery>>;
  body: undefined;
  result: ResourceList<K>;
  item: WatchEvent<ResourceOf<K>>;
};
type ItemOperation<P, Q, B, R> = { params: P; query: Q; body: B; result: R; item: never };

// The api's `ResourceRoutes<K>` widens schemas to the union of every kind, so resource
// operations are typed here from the kind registry directly.
type ResourceOperations = {
  [K in Kind as `list${K}`]: ListOperation<K, CollectionParams<K>>;
} & {
  [K in NamespacedKind as `list${K}ForAllNamespaces`]: ListOperation<K, Record<string, never>>;
} & {
  [K in Kind as `create${K}`]: ItemOperation<
    CollectionParams<K>,
    undefined,
    KindInput<K>,
    ResourceOf<K>
  >;
} & {
  [K in Kind as `get${K}`]: ItemOperation<ItemParams<K>, undefined, undefined, ResourceOf<K>>;
} & {
  [K in Kind as `replace${K}` | `apply${K}`]: ItemOperation<
    ItemParams<K>,
    undefined,
    KindInput<K>,
    ResourceOf<K>
  >;
} & {
  [K in Kind as `delete${K}`]: ItemOperation<
    ItemParams<K>,
    { resourceVersion?: string },
    undefined,
    DeleteResult<K>
  >;
};

type RouteOperations = {
  [Id in keyof typeof SANDBOX_OPERATIONS]: FromRoute<(typeof SANDBOX_OPERATIONS)[Id]>;
} & {
  [Id in keyof typeof RUN_OPERATIONS]: FromRoute<(typeof RUN_OPERATIONS)[Id]>;
} & {
  [Id in keyof typeof SYSTEM_OPERATIONS]: FromRoute<(typeof SYSTEM_OPERATIONS)[Id]>;
} & {
  [Id in keyof typeof TEMPLATE_POLICY_ROUTES]: FromRoute<(typeof TEMPLATE_POLICY_ROUTES)[Id]>;
} & {
  [Id in keyof typeof CREDENTIAL_OPERATIONS]: FromRoute<(typeof CREDENTIAL_OPERATIONS)[Id]>;
} & {
  [Id in keyof typeof CLUSTER_ROUTES]: FromRoute<(typeof CLUSTER_ROUTES)[Id]>;
};

/** Every operation of the REST API by operationId, with its input and output types. */
export type Operations = ResourceOperations & RouteOperations;
export type OperationId = keyof Operations & string;

function resourceEntries(): [string, AnyRoute][] {
  return KIND_NAMES.flatMap((kind) =>
    Object.values(RESOURCE_ROUTES[kind])
      .filter((route): route is AnyRoute => route !== undefined)
      .map((route): [string, AnyRoute] => [route.operationId, route]),
  );
}

/** The route of every operationId the client knows (a test checks it equals the api's table). */
export const OPERATION_ROUTES: ReadonlyMap<string, AnyRoute> = new Map<string, AnyRoute>([
  ...resourceEntries(),
  ...Object.entries(SANDBOX_OPERATIONS),
  ...Object.entries(RUN_OPERATIONS),
  ...Object.entries(SYSTEM_OPERATIONS),
  ...Object.entries(TEMPLATE_POLICY_ROUTES),
  ...Object.entries(CREDENTIAL_OPERATIONS),
  ...Object.entries(CLUSTER_ROUTES),
]);
