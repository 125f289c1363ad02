import { SYSTEM_ROUTES } from '@paddock/api';
import { isAdmin, issueApiKey, type Principal } from '@paddock/control';
import { type ApiKeyRecord, ErrorCode, PaddockError, parseDurationMs, Role } from '@paddock/core';
import { json } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import { pageOf } from './paging.ts';

/** The wire form of a stored key: never the hash, never the secret. */
export function wireApiKey(record: ApiKeyRecord) {
  return {
    id: record.id,
    name: record.name ?? '',
    owner: record.ownerId,
    role: record.roles.includes(Role.Admin) ? Role.Admin : Role.User,
    prefix: record.id,
    createdAt: record.createdAt,
    ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
    ...(record.lastUsedAt === undefined ? {} : { lastUsedAt: record.lastUsedAt }),
    ...(record.revokedAt === undefined ? {} : { revokedAt: record.revokedAt }),
  };
}

function adminOnly(principal: Principal, what: string): void {
  if (!isAdmin(principal)) {
    throw new PaddockError(ErrorCode.Forbidden, `${what} requires the admin role`, {
      requiredRole: Role.Admin,
    });
  }
}

/** Users manage their own keys; admins anyone's, and only admins mint admin keys. */
export const apiKeyHandlers: RouteHandler[] = [
  on(
    SYSTEM_ROUTES.createApiKey,
    async ({ principal, deps, ctx }, { body }) => {
      const owner = body.owner ?? principal.id;
      if (owner !== principal.id) adminOnly(principal, 'creating a key for another user');
      const role = body.role ?? (isAdmin(principal) ? Role.Admin : Role.User);
      if (role === Role.Admin) adminOnly(principal, 'creating an admin key');
      const now = new Date();
      const expiresAt =
        body.expiresIn === undefined
          ? undefined
          : new Date(now.getTime() + parseDurationMs(body.expiresIn));
      const { key, record } = await issueApiKey(
        deps.engine.apiKeys,
        {
          ownerId: owner,
          roles: role === Role.Admin ? [Role.Admin] : [Role.User],
          name: body.name,
          ...(expiresAt === undefined ? {} : { expiresAt }),
        },
        now,
      );
      ctx.audit.target = { kind: 'ApiKey', name: record.id };
      return json({ key, apiKey: wireApiKey(record) }, 201);
    },
    { action: 'apikey.create' },
  ),
  on(SYSTEM_ROUTES.listApiKeys, async ({ principal, deps }, { query }) => {
    const owner = query.owner ?? (isAdmin(principal) ? undefined : principal.id);
    if (owner !== principal.id) adminOnly(principal, "listing another user's keys");
    const records = await deps.engine.apiKeys.list(owner);
    const page = pageOf(records.map(wireApiKey), query.limit, query.continue);
    return json({ kind: 'ApiKeyList', ...page });
  }),
  on(
    SYSTEM_ROUTES.revokeApiKey,
    async ({ principal, deps, ctx, req }, { params }) => {
      ctx.audit.target = { kind: 'ApiKey', name: params.id };
      const mine = isAdmin(principal) ? undefined : principal.id;
      const found = (await deps.engine.apiKeys.list(mine)).find((k) => k.id === params.id);
      if (found === undefined) {
        throw new PaddockError(ErrorCode.NotFound, `API key ${params.id} not found`);
      }
      const revoked = await deps.engine.apiKeys.revoke(params.id, new Date());
      // Streams, terminals, port forwards and previews it opened end now (not this request).
      deps.keyConnections.end(params.id, req.socket);
      return json({ apiKey: wireApiKey(revoked), revokedAt: revoked.revokedAt ?? '' });
    },
    { action: 'apikey.revoke' },
  ),
];
