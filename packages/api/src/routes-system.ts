import { API_VERSION, Scope } from '@paddock/core';
import { z } from 'zod';
import {
  ApiKeyList,
  ApiKeyListQuery,
  ApiKeyParams,
  CreateApiKeyBody,
  CreatedApiKey,
  CurrentUser,
  RevokedApiKey,
} from './accounts.ts';
import { AuditList, AuditQuery } from './audit.ts';
import { type AnyRoute, defineRoute, json, text } from './route.ts';
import { ClusterParams } from './routes-resources.ts';
import { UsageQuery, UsageReport, WarmPoolList } from './usage.ts';

const params = ClusterParams;
const auth = 'required' as const;

export const Health = z.object({ status: z.literal('ok') });

/** Readiness: every check (store, runtime, reconcilers) and whether it passed. Not ready = 503. */
export const Readiness = z.object({
  status: z.literal('ok'),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), message: z.string().optional() })),
});

export const KindInfoList = z.object({
  items: z.array(
    z.object({
      kind: z.string(),
      plural: z.string(),
      scope: z.enum([Scope.Cluster, Scope.Namespaced]),
      apiVersion: z.literal(API_VERSION),
    }),
  ),
});

/**
 * How a browser may sign in: with an API key always, and through the OIDC provider (authorization
 * code with PKCE, a public client) when the server has one. Public: no secret is ever in it.
 */
export const AuthConfig = z.object({
  methods: z.array(z.enum(['apikey', 'oidc'])).min(1),
  oidc: z
    .object({
      /** The provider; its endpoints come from `${issuer}/.well-known/openid-configuration`. */
      issuer: z.url(),
      /** The public client the UI signs in as (its id tokens carry it as `aud`). */
      clientId: z.string().min(1),
      /** Space-separated scopes to ask for, e.g. `openid profile email`. */
      scopes: z.string().min(1),
    })
    .optional(),
});
export type AuthConfig = z.infer<typeof AuthConfig>;

/** Audit, usage, warm pools, API keys, the caller, discovery, probes and metrics. */
export const SYSTEM_ROUTES = {
  listAudit: defineRoute({
    operationId: 'listAuditRecords',
    method: 'GET',
    path: '/api/v1/audit',
    summary: 'Query the audit log, newest first (admins: all; users: their own actions)',
    tags: ['Audit'],
    auth,
    params,
    query: AuditQuery,
    responses: [{ status: 200, description: 'Audit records', content: [json(AuditList)] }],
  }),
  usage: defineRoute({
    operationId: 'getUsage',
    method: 'GET',
    path: '/api/v1/usage',
    summary: 'Token, cost and sandbox-time totals over a window',
    tags: ['Usage'],
    auth,
    params,
    query: UsageQuery,
    responses: [{ status: 200, description: 'The usage report', content: [json(UsageReport)] }],
  }),
  warmPools: defineRoute({
    operationId: 'listWarmPools',
    method: 'GET',
    path: '/api/v1/warmpools',
    summary: 'Warm pools by template: desired and ready size, hits and misses',
    tags: ['WarmPool'],
    auth,
    params,
    responses: [{ status: 200, description: 'The pools', content: [json(WarmPoolList)] }],
  }),
  createApiKey: defineRoute({
    operationId: 'createApiKey',
    method: 'POST',
    path: '/api/v1/apikeys',
    summary: 'Create an API key; the secret is in this response only',
    tags: ['ApiKey'],
    auth,
    params,
    body: json(CreateApiKeyBody),
    responses: [
      { status: 201, description: 'The key and its secret', content: [json(CreatedApiKey)] },
    ],
  }),
  listApiKeys: defineRoute({
    operationId: 'listApiKeys',
    method: 'GET',
    path: '/api/v1/apikeys',
    summary: "List the caller's API keys (admins: any owner's)",
    tags: ['ApiKey'],
    auth,
    params,
    query: ApiKeyListQuery,
    responses: [
      { status: 200, description: 'The keys, without secrets', content: [json(ApiKeyList)] },
    ],
  }),
  revokeApiKey: defineRoute({
    operationId: 'revokeApiKey',
    method: 'DELETE',
    path: '/api/v1/apikeys/{id}',
    summary: 'Revoke an API key (idempotent)',
    tags: ['ApiKey'],
    auth,
    params: ApiKeyParams,
    responses: [{ status: 200, description: 'The revoked key', content: [json(RevokedApiKey)] }],
  }),
  currentUser: defineRoute({
    operationId: 'getCurrentUser',
    method: 'GET',
    path: '/api/v1/users/me',
    summary: 'Who the caller is, as authenticated',
    tags: ['User'],
    auth,
    params,
    responses: [{ status: 200, description: 'The caller', content: [json(CurrentUser)] }],
  }),
  listKinds: defineRoute({
    operationId: 'listKinds',
    method: 'GET',
    path: '/api/v1/kinds',
    summary: 'Discovery: every kind with its plural and scope',
    tags: ['Discovery'],
    auth,
    params,
    responses: [{ status: 200, description: 'The kinds', content: [json(KindInfoList)] }],
  }),
  openapi: defineRoute({
    operationId: 'getOpenApiDocument',
    method: 'GET',
    path: '/api/v1/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    tags: ['Discovery'],
    auth: 'none',
    params,
    responses: [
      {
        status: 200,
        description: 'The document',
        content: [json(z.record(z.string(), z.unknown()))],
      },
    ],
  }),
  authConfig: defineRoute({
    operationId: 'getAuthConfig',
    method: 'GET',
    path: '/api/v1/auth/config',
    summary: 'How to sign in: the methods offered and the public OIDC client, if any',
    tags: ['Discovery'],
    auth: 'none',
    params,
    responses: [{ status: 200, description: 'Sign-in methods', content: [json(AuthConfig)] }],
  }),
  healthz: defineRoute({
    operationId: 'getHealth',
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    tags: ['Probes'],
    auth: 'none',
    params,
    responses: [{ status: 200, description: 'Alive', content: [json(Health)] }],
  }),
  readyz: defineRoute({
    operationId: 'getReadiness',
    method: 'GET',
    path: '/readyz',
    summary: 'Readiness: store, runtime and reconcilers are up (503 runtime_unavailable if not)',
    tags: ['Probes'],
    auth: 'none',
    params,
    responses: [{ status: 200, description: 'Ready', content: [json(Readiness)] }],
  }),
  metrics: defineRoute({
    operationId: 'getMetrics',
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format 0.0.4)',
    tags: ['Probes'],
    auth: 'none',
    params,
    responses: [
      {
        status: 200,
        description: 'Metrics',
        content: [text('text/plain; version=0.0.4')],
      },
    ],
  }),
} as const;

export const systemRouteList: readonly AnyRoute[] = Object.values(SYSTEM_ROUTES);
