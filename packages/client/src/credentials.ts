import type { CreateCredentialBody, CredentialList } from '@paddock/api';
import type { Credential } from '@paddock/core';
import type { Caller } from './call.ts';
import type { GovernanceOptions } from './governance.ts';
import type { RequestOptions } from './transport.ts';

/**
 * Credentials of a namespace (default: the client's). Values go in and never come back: no
 * answer carries one. Errors: `already_exists` (create without `replace`), `not_found`,
 * `forbidden` (`paddock-system` needs the admin role), `validation_failed`.
 */
export type CredentialClient = {
  create(body: CreateCredentialBody, options?: GovernanceOptions): Promise<Credential>;
  list(
    query?: { limit?: number; continue?: string },
    options?: GovernanceOptions,
  ): Promise<CredentialList>;
  get(name: string, options?: GovernanceOptions): Promise<Credential>;
  delete(name: string, options?: GovernanceOptions): Promise<Credential>;
};

const request = ({ signal, timeoutMs, headers }: RequestOptions = {}): RequestOptions => ({
  ...(signal && { signal }),
  ...(timeoutMs !== undefined && { timeoutMs }),
  ...(headers && { headers }),
});

export function credentialClient(caller: Caller, defaultNamespace: string): CredentialClient {
  const namespace = (options: GovernanceOptions | undefined) =>
    options?.namespace ?? defaultNamespace;
  return {
    create: (body, options) =>
      caller.call('createCredential', {
        ...request(options),
        params: { namespace: namespace(options) },
        body,
      }),
    list: (query, options) =>
      caller.call('listCredentials', {
        ...request(options),
        params: { namespace: namespace(options) },
        ...(query && { query }),
      }),
    get: (name, options) =>
      caller.call('getCredential', {
        ...request(options),
        params: { namespace: namespace(options), name },
      }),
    delete: (name, options) =>
      caller.call('deleteCredential', {
        ...request(options),
        params: { namespace: namespace(options), name },
      }),
  };
}
