import type {
  ApiKeyList,
  AuditList,
  CreateApiKeyBody,
  CreatedApiKey,
  CurrentUser,
  UsageReport,
  WarmPoolList,
} from '@paddock/api';
import type { Kind } from '@paddock/core';
import { type Caller, createCaller } from './call.ts';
import { type ClientOptions, resolveOptions } from './client-options.ts';
import { type ClusterClient, clusterClient } from './cluster.ts';
import { type CredentialClient, credentialClient } from './credentials.ts';
import {
  type PolicyClient,
  policyClient,
  type TemplateClient,
  templateClient,
} from './governance.ts';
import type { Operations } from './operations.ts';
import { type ResourceClient, resourceClient } from './resources.ts';
import { type RunClient, runClient } from './runs.ts';
import { type SandboxClient, sandboxClient } from './sandboxes.ts';
import type { RequestOptions } from './transport.ts';

type QueryOf<Id extends keyof Operations> = NonNullable<Operations[Id]['query']>;

/**
 * A Paddock API client. `call` and `stream` reach every operation by operationId; the
 * namespaces below are natural names over them. Every failure is a `PaddockError`.
 */
export type PaddockClient = Caller & {
  /** The options as resolved (defaults filled). */
  readonly baseUrl: URL;
  readonly namespace: string;
  sandboxes: SandboxClient;
  /** Runs of agents: CRUD, start, the transcript (paged or followed), messages and cancel. */
  runs: RunClient;
  /** CRUD and watch of any kind: `client.resources('Agent').list()`. */
  resources<K extends Kind>(kind: K): ResourceClient<K>;
  /** Templates after inheritance, with provenance. */
  templates: TemplateClient;
  /** The effective policy of a namespace and a governance dry run. */
  policy: PolicyClient;
  apiKeys: {
    /** The secret (`key`) is in this answer only. */
    create(body: CreateApiKeyBody, options?: RequestOptions): Promise<CreatedApiKey>;
    list(query?: QueryOf<'listApiKeys'>, options?: RequestOptions): Promise<ApiKeyList>;
    revoke(id: string, options?: RequestOptions): Promise<Operations['revokeApiKey']['result']>;
  };
  /** Named secrets; values are write-only. */
  credentials: CredentialClient;
  /** Read-only views of the Kubernetes cluster the server runs on (admins only). */
  cluster: ClusterClient;
  audit: {
    list(query?: QueryOf<'listAuditRecords'>, options?: RequestOptions): Promise<AuditList>;
  };
  usage(query?: QueryOf<'getUsage'>, options?: RequestOptions): Promise<UsageReport>;
  warmPools(options?: RequestOptions): Promise<WarmPoolList>;
  kinds(options?: RequestOptions): Promise<Operations['listKinds']['result']>;
  /** Who the server says the caller is. */
  me(options?: RequestOptions): Promise<CurrentUser>;
  /** How this server signs people in (API keys; OIDC issuer, client id and scopes). No auth needed. */
  authConfig(options?: RequestOptions): Promise<Operations['getAuthConfig']['result']>;
  /** Liveness (`/healthz`). */
  health(options?: RequestOptions): Promise<Operations['getHealth']['result']>;
  /** Readiness (`/readyz`); not ready is `runtime_unavailable`. */
  ready(options?: RequestOptions): Promise<Operations['getReadiness']['result']>;
  /** The server's OpenAPI 3.1 document. */
  openapi(options?: RequestOptions): Promise<Record<string, unknown>>;
};

/**
 * Creates a client; options are checked at once (`validation_failed` listing each problem).
 * Works wherever global `fetch`, `ReadableStream` and `TextDecoder` exist (Node 24, browsers).
 */
export function createClient(options: ClientOptions): PaddockClient {
  const resolved = resolveOptions(options);
  const caller = createCaller(resolved);
  const { call } = caller;
  const cache = new Map<Kind, ResourceClient<Kind>>();
  return {
    call: caller.call,
    stream: caller.stream,
    baseUrl: resolved.baseUrl,
    namespace: resolved.namespace,
    sandboxes: sandboxClient(caller, resolved.namespace, resolved),
    runs: runClient(caller, resolved.namespace, resolved),
    resources<K extends Kind>(kind: K): ResourceClient<K> {
      let found = cache.get(kind);
      if (!found) {
        found = resourceClient(caller, kind, resolved.namespace) as ResourceClient<Kind>;
        cache.set(kind, found);
      }
      return found as unknown as ResourceClient<K>;
    },
    templates: templateClient(caller, resolved.namespace),
    policy: policyClient(caller, resolved.namespace),
    apiKeys: {
      create: (body, request) => call('createApiKey', { ...request, body }),
      list: (query, request) => call('listApiKeys', { ...request, ...(query && { query }) }),
      revoke: (id, request) => call('revokeApiKey', { ...request, params: { id } }),
    },
    credentials: credentialClient(caller, resolved.namespace),
    cluster: clusterClient(caller),
    audit: {
      list: (query, request) => call('listAuditRecords', { ...request, ...(query && { query }) }),
    },
    usage: (query, request) => call('getUsage', { ...request, ...(query && { query }) }),
    warmPools: (request) => call('listWarmPools', request),
    kinds: (request) => call('listKinds', request),
    me: (request) => call('getCurrentUser', request),
    authConfig: (request) => call('getAuthConfig', request),
    health: (request) => call('getHealth', request),
    ready: (request) => call('getReadiness', request),
    openapi: (request) => call('getOpenApiDocument', request),
  };
}
