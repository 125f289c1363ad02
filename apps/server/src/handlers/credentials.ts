import { CREDENTIAL_ROUTES } from '@paddock/api';
import {
  isCredentialVisible,
  requireCredentialPut,
  requireCredentialWriter,
  visibleCredential,
} from '@paddock/control';
import { CredentialAuditAction } from '@paddock/core';
import { json } from '../http/respond.ts';
import { on, type RouteHandler } from '../http/router.ts';
import { credentialValue } from './credential-value.ts';
import { pageOf } from './paging.ts';

/** Credentials: values go in, never out. Writes are audited `credential.create|delete`. */
export const credentialHandlers: RouteHandler[] = [
  on(
    CREDENTIAL_ROUTES.create,
    async (call, { params, body }) => {
      const { principal, deps, ctx } = call;
      const { namespace } = params;
      ctx.audit.target = { kind: 'Credential', namespace, name: body.name };
      const { credentials } = deps.engine;
      await requireCredentialPut(
        credentials,
        principal,
        namespace,
        body.name,
        body.replace === true,
      );
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
    const visible = all.filter((c) => isCredentialVisible(principal, c));
    return json({ kind: 'CredentialList', ...pageOf(visible, query.limit, query.continue) });
  }),
  on(CREDENTIAL_ROUTES.get, async (call, { params }) =>
    json(
      await visibleCredential(
        call.deps.engine.credentials,
        call.principal,
        params.namespace,
        params.name,
      ),
    ),
  ),
  on(
    CREDENTIAL_ROUTES.delete,
    async (call, { params }) => {
      const { namespace, name } = params;
      await visibleCredential(call.deps.engine.credentials, call.principal, namespace, name);
      requireCredentialWriter(call.principal, namespace);
      return json(await call.deps.engine.credentials.delete(namespace, name));
    },
    { action: CredentialAuditAction.Delete },
  ),
];
