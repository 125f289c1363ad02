import { CREDENTIAL_ROUTES } from '@paddock/api';
import { canSee, isAdmin, type Principal, requireAdmin } from '@paddock/control';
import {
  type Credential,
  CredentialAuditAction,
  ErrorCode,
  PaddockError,
  Role,
  SYSTEM_NAMESPACE,
} from '@paddock/core';
import { json } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import type { HandlerCall } from '../server-deps.ts';
import { credentialValue } from './credential-value.ts';
import { pageOf } from './paging.ts';

/**
 * Who may write in a namespace: any role; `paddock-system` (the gateway's provider keys) needs
 * the admin role.
 */
function requireWriter(principal: Principal, namespace: string): void {
  if (namespace === SYSTEM_NAMESPACE) {
    requireAdmin(principal, `writing credentials in ${SYSTEM_NAMESPACE}`);
  } else if (!isAdmin(principal) && !principal.roles.includes(Role.User)) {
    throw new PaddockError(ErrorCode.Forbidden, 'a role is required', { requiredRole: Role.User });
  }
}

/** The credential, when the caller may see it (admins: all; users: their own); else `not_found`. */
async function visibleCredential(
  { principal, deps }: HandlerCall,
  namespace: string,
  name: string,
): Promise<Credential> {
  const found = (await deps.engine.credentials.list(namespace)).find((c) => c.name === name);
  if (found === undefined || !canSee(principal, found.owner, undefined)) {
    throw new PaddockError(ErrorCode.NotFound, `credential ${namespace}/${name} not found`, {
      namespace,
      name,
    });
  }
  return found;
}

/** Credentials: values go in, never out. Writes are audited `credential.create|delete`. */
export const credentialHandlers: RouteHandler[] = [
  on(
    CREDENTIAL_ROUTES.create,
    async (call, { params, body }) => {
      const { principal, deps, ctx } = call;
      const { namespace } = params;
      ctx.audit.target = { kind: 'Credential', namespace, name: body.name };
      requireWriter(principal, namespace);
      if (body.replace === true) {
        const existing = (await deps.engine.credentials.list(namespace)).find(
          (c) => c.name === body.name,
        );
        if (existing !== undefined && !canSee(principal, existing.owner, undefined)) {
          throw new PaddockError(
            ErrorCode.AlreadyExists,
            `credential ${namespace}/${body.name} already exists`,
          );
        }
      }
      const value = credentialValue(body);
      const now = new Date().toISOString();
      const credential = await deps.engine.credentials.put(
        {
          name: body.name,
          namespace,
          type: body.type,
          description: body.description ?? '',
          owner: principal.id,
          createdAt: now,
          updatedAt: now,
        },
        value,
        { replace: body.replace === true },
      );
      ctx.audit.details = { ...ctx.audit.details, type: credential.type };
      return json(credential, 201);
    },
    { action: CredentialAuditAction.Create },
  ),
  on(CREDENTIAL_ROUTES.list, async ({ principal, deps }, { params, query }) => {
    const all = await deps.engine.credentials.list(params.namespace);
    const visible = all.filter((c) => canSee(principal, c.owner, undefined));
    return json({ kind: 'CredentialList', ...pageOf(visible, query.limit, query.continue) });
  }),
  on(CREDENTIAL_ROUTES.get, async (call, { params }) =>
    json(await visibleCredential(call, params.namespace, params.name)),
  ),
  on(
    CREDENTIAL_ROUTES.delete,
    async (call, { params }) => {
      const { namespace, name } = params;
      await visibleCredential(call, namespace, name);
      requireWriter(call.principal, namespace);
      return json(await call.deps.engine.credentials.delete(namespace, name));
    },
    { action: CredentialAuditAction.Delete },
  ),
];
