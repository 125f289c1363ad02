import { Credential, CredentialType, ResourceName } from '@paddock/core';
import { z } from 'zod';
import { ListMeta } from './list.ts';
import { type AnyRoute, defineRoute, json } from './route.ts';
import { NamespacedNameParams, NamespaceParams } from './routes-resources.ts';

const collection = '/api/v1/namespaces/{namespace}/credentials';
const item = `${collection}/{name}`;
const tags = ['Credential'] as const;
const auth = 'required' as const;

/**
 * Body of a credential creation. The value is write-only: no response ever carries it. Exactly
 * one of `value` (text: an API key, an env value) or `valueBase64` (bytes: a `files`
 * credential's tar archive) is given. `replace` overwrites one of the same name.
 */
export const CreateCredentialBody = z
  .strictObject({
    name: ResourceName,
    type: z.enum(CredentialType),
    description: z.string().max(1000).optional(),
    value: z.string().min(1).optional(),
    valueBase64: z.base64().min(1).optional(),
    replace: z.boolean().optional(),
  })
  .refine((body) => (body.value === undefined) !== (body.valueBase64 === undefined), {
    message: 'give exactly one of value and valueBase64',
    path: ['value'],
  });
export type CreateCredentialBody = z.input<typeof CreateCredentialBody>;

export const CredentialList = z.object({
  kind: z.literal('CredentialList'),
  metadata: ListMeta,
  items: z.array(Credential),
});
export type CredentialList = z.output<typeof CredentialList>;

export const CredentialListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  continue: z.string().min(1).optional(),
});

/** Credentials: named secrets, encrypted at rest, whose values are never returned. */
export const CREDENTIAL_ROUTES = {
  create: defineRoute({
    operationId: 'createCredential',
    method: 'POST',
    path: collection,
    summary: 'Store a credential (its value is write-only)',
    tags,
    auth,
    params: NamespaceParams,
    body: json(CreateCredentialBody),
    responses: [
      {
        status: 201,
        description: 'The credential, without its value',
        content: [json(Credential)],
      },
    ],
  }),
  list: defineRoute({
    operationId: 'listCredentials',
    method: 'GET',
    path: collection,
    summary: 'List credentials (admins: all; users: their own), never their values',
    tags,
    auth,
    params: NamespaceParams,
    query: CredentialListQuery,
    responses: [{ status: 200, description: 'The credentials', content: [json(CredentialList)] }],
  }),
  get: defineRoute({
    operationId: 'getCredential',
    method: 'GET',
    path: item,
    summary: 'Describe a credential, without its value',
    tags,
    auth,
    params: NamespacedNameParams,
    responses: [{ status: 200, description: 'The credential', content: [json(Credential)] }],
  }),
  delete: defineRoute({
    operationId: 'deleteCredential',
    method: 'DELETE',
    path: item,
    summary: 'Delete a credential',
    tags,
    auth,
    params: NamespacedNameParams,
    responses: [
      { status: 200, description: 'The deleted credential', content: [json(Credential)] },
    ],
  }),
} as const;

export const credentialRouteList: readonly AnyRoute[] = Object.values(CREDENTIAL_ROUTES);
