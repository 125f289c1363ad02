import { SYSTEM_ROUTES } from '@paddock/api';
import { issueApiKey, keyListOwner, keyToMint, revocableKey } from '@paddock/control';
import { type ApiKeyRecord, parseDurationMs, Role } from '@paddock/core';
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

/** Users manage their own keys; admins anyone's, and only admins mint admin keys. */
export const apiKeyHandlers: RouteHandler[] = [
  on(
    SYSTEM_ROUTES.createApiKey,
    async ({ principal, deps, ctx }, { body }) => {
      const { owner, role } = keyToMint(principal, body);
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
    const owner = keyListOwner(principal, query.owner);
    const records = await deps.engine.apiKeys.list(owner);
    const page = pageOf(records.map(wireApiKey), query.limit, query.continue);
    return json({ kind: 'ApiKeyList', ...page });
  }),
  on(
    SYSTEM_ROUTES.revokeApiKey,
    async ({ principal, deps, ctx, req }, { params }) => {
      ctx.audit.target = { kind: 'ApiKey', name: params.id };
      await revocableKey(deps.engine.apiKeys, principal, params.id);
      const revoked = await deps.engine.apiKeys.revoke(params.id, new Date());
      // Streams, terminals, port forwards and previews it opened end now (not this request).
      deps.keyConnections.end(params.id, req.socket);
      return json({ apiKey: wireApiKey(revoked), revokedAt: revoked.revokedAt ?? '' });
    },
    { action: 'apikey.revoke' },
  ),
];
