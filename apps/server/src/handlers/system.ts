import { buildOpenApiDocument, SYSTEM_ROUTES } from '@paddock/api';
import { isAdmin, PrincipalVia } from '@paddock/control';
import { API_VERSION, ErrorCode, KIND_NAMES, KINDS, PaddockError, Role } from '@paddock/core';
import { json, type Reply, streamed } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import type { ServerDeps } from '../server-deps.ts';
import { renderMetrics } from './metrics.ts';
import { usageReport } from './usage.ts';

const AUTH_METHOD = {
  [PrincipalVia.ApiKey]: 'apikey',
  [PrincipalVia.Oidc]: 'oidc',
  [PrincipalVia.Anonymous]: 'anonymous',
  [PrincipalVia.SandboxToken]: 'sandbox-token',
  [PrincipalVia.RunToken]: 'run-token',
} as const satisfies Record<PrincipalVia, string>;

let openApi: Record<string, unknown> | undefined;

async function readiness(deps: ServerDeps): Promise<Reply> {
  const checks: Record<string, { ok: boolean; message?: string }> = {};
  const probe = async (name: string, run: () => Promise<unknown>) => {
    try {
      await run();
      checks[name] = { ok: true };
    } catch (error) {
      checks[name] = { ok: false, message: (error as Error).message };
    }
  };
  await probe('store', () => deps.engine.store.list('ClusterPolicy', { limit: 1 }));
  await probe('runtime', () => deps.engine.runtime.list());
  await probe('auditLog', () => deps.engine.auditLog.query({ limit: 1 }));
  const failed = Object.entries(checks).filter(([, c]) => !c.ok);
  if (failed.length > 0) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `not ready: ${failed.map(([n]) => n).join(', ')}`,
      { checks },
    );
  }
  return json({ status: 'ok', checks });
}

/** Probes, metrics, discovery, the caller, usage and warm pools. */
export const systemHandlers: RouteHandler[] = [
  on(SYSTEM_ROUTES.healthz, async () => json({ status: 'ok' })),
  on(SYSTEM_ROUTES.readyz, async ({ deps }) => readiness(deps)),
  on(SYSTEM_ROUTES.metrics, async ({ deps, res, ctx }) => {
    const text = await renderMetrics(deps);
    res.writeHead(200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      'x-request-id': ctx.requestId,
    });
    res.end(text);
    return streamed();
  }),
  on(SYSTEM_ROUTES.openapi, async () => {
    openApi ??= buildOpenApiDocument();
    return json(openApi);
  }),
  on(SYSTEM_ROUTES.authConfig, async ({ deps: { config } }) =>
    json(
      config.oidcIssuer !== undefined && config.oidcClientId !== undefined
        ? {
            methods: ['apikey', 'oidc'],
            oidc: {
              issuer: config.oidcIssuer,
              clientId: config.oidcClientId,
              scopes: config.oidcScopes,
            },
          }
        : { methods: ['apikey'] },
    ),
  ),
  on(SYSTEM_ROUTES.listKinds, async () =>
    json({
      items: KIND_NAMES.map((kind) => ({
        kind,
        plural: KINDS[kind].plural,
        scope: KINDS[kind].scope,
        apiVersion: API_VERSION,
      })),
    }),
  ),
  on(SYSTEM_ROUTES.currentUser, async ({ principal }) =>
    json({
      id: principal.id,
      role: isAdmin(principal) ? Role.Admin : Role.User,
      authMethod: AUTH_METHOD[principal.via],
      ...(principal.scope === undefined
        ? {}
        : { scope: { namespace: principal.scope.namespace, access: 'read' as const } }),
    }),
  ),
  on(SYSTEM_ROUTES.usage, async ({ deps, principal }, { query }) =>
    json(await usageReport(deps, principal, query)),
  ),
  on(SYSTEM_ROUTES.warmPools, async ({ deps }) =>
    json({ items: deps.engine.controller.warmPool.stats() }),
  ),
];
