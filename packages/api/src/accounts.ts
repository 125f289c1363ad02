import { DurationString, Timestamp } from '@paddock/core';
import { z } from 'zod';
import { ListMeta } from './list.ts';

export const Role = z.enum(['admin', 'user']);
export type Role = z.infer<typeof Role>;

/** The caller, as the server authenticated them. */
export const CurrentUser = z.object({
  id: z.string(),
  name: z.string().optional(),
  email: z.string().optional(),
  role: Role,
  /** How the request was authenticated. */
  authMethod: z.enum(['apikey', 'oidc', 'anonymous', 'sandbox-token', 'run-token']),
  /** Present when the credential is confined (a run's token): read-only, one namespace. */
  scope: z.object({ namespace: z.string(), access: z.literal('read') }).optional(),
  /** Groups from the OIDC token, if any. */
  groups: z.array(z.string()).optional(),
});
export type CurrentUser = z.infer<typeof CurrentUser>;

/** An API key as listed: never the secret, only its prefix for recognition. */
export const ApiKey = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  role: Role,
  /** The first characters of the key, e.g. `pdk_3f9a`. */
  prefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
  lastUsedAt: z.string().optional(),
  revokedAt: z.string().optional(),
});
export type ApiKey = z.infer<typeof ApiKey>;

/** Body of a key creation. `role` defaults to the caller's; only admins may mint `admin` keys. */
export const CreateApiKeyBody = z.strictObject({
  name: z.string().min(1).max(100),
  role: Role.optional(),
  /** Lifetime (`30d`, `12h`); no expiry when absent. */
  expiresIn: DurationString.optional(),
  /** Admins only: mint the key for another user. */
  owner: z.string().min(1).optional(),
});
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;

/** Answer to a key creation: the only time the secret is ever shown. */
export const CreatedApiKey = z.object({ key: z.string(), apiKey: ApiKey });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const ApiKeyList = z.object({
  kind: z.literal('ApiKeyList'),
  metadata: ListMeta,
  items: z.array(ApiKey),
});
export type ApiKeyList = z.infer<typeof ApiKeyList>;

export const ApiKeyListQuery = z.strictObject({
  /** Admins only: another user's keys. */
  owner: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  continue: z.string().min(1).optional(),
});

export const ApiKeyParams = z.strictObject({ id: z.string().min(1) });

/** `revokedAt` set: the key no longer authenticates. Revoking twice is not an error. */
export const RevokedApiKey = z.object({ apiKey: ApiKey, revokedAt: Timestamp });
