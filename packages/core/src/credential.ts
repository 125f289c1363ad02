import { z } from 'zod';
import { ErrorCode, PaddockError } from './errors.ts';
import { NamespaceName, ResourceName, Timestamp } from './metadata.ts';

/**
 * What a credential holds:
 * - `apiKey`: one secret string for a provider (the gateway injects it; never enters a sandbox);
 * - `env`: one secret string handed to a harness as an environment variable at exec time;
 * - `files`: a tar archive of a small directory (a CLI's login directory), extracted into a
 *   sandbox before the harness starts.
 */
export const CredentialType = { ApiKey: 'apiKey', Env: 'env', Files: 'files' } as const;
export type CredentialType = (typeof CredentialType)[keyof typeof CredentialType];

/** The namespace whose credentials `anthropic` and `openai` are the gateway's provider keys. */
export const SYSTEM_NAMESPACE = 'paddock-system';

/** The credential names the gateway looks up in `SYSTEM_NAMESPACE`, per provider. */
export const GATEWAY_CREDENTIALS = { anthropic: 'anthropic', openai: 'openai' } as const;

/** Largest value a credential may hold (a login directory's tar archive included). */
export const MAX_CREDENTIAL_BYTES = 512 * 1024;

/** Checks a value to store: 1 to {@link MAX_CREDENTIAL_BYTES} bytes, else `validation_failed`. */
export function assertCredentialValue(value: Uint8Array): void {
  if (value.byteLength === 0 || value.byteLength > MAX_CREDENTIAL_BYTES) {
    throw new PaddockError(
      ErrorCode.ValidationFailed,
      `a credential value must hold 1 to ${MAX_CREDENTIAL_BYTES} bytes (got ${value.byteLength})`,
      { issues: [{ path: 'value', message: 'empty or too large' }] },
    );
  }
}

/**
 * A stored credential as the API shows it: its name, kind and who made it — never its value.
 * `owner` is the principal id of its creator.
 */
export const Credential = z.strictObject({
  name: ResourceName,
  namespace: NamespaceName,
  type: z.enum(CredentialType),
  description: z.string().max(1000).default(''),
  owner: z.string().min(1).max(500),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Credential = z.output<typeof Credential>;
export type CredentialInput = z.input<typeof Credential>;

/** A credential with its decrypted value: internal only, never on the wire. */
export type CredentialSecret = { credential: Credential; value: Uint8Array };

/**
 * Where credentials live, encrypted at rest (SQLite + a key file locally).
 * - `put` stores `value` under `credential`'s namespace and name; an existing one is
 *   `already_exists` unless `options.replace` (then its `createdAt` is kept); an invalid
 *   credential or an empty or oversized value is `validation_failed`.
 * - `get` returns the credential with its decrypted value, or `undefined`; a value that does not
 *   decrypt (another key file, a tampered or moved row) is `internal`.
 * - `list` returns the credentials of `namespace` (every namespace when absent), by name.
 * - `delete` removes one and returns it; an unknown one is `not_found`.
 */
export interface CredentialStore {
  put(
    credential: CredentialInput,
    value: Uint8Array,
    options?: { replace?: boolean },
  ): Promise<Credential>;
  get(namespace: string, name: string): Promise<CredentialSecret | undefined>;
  list(namespace?: string): Promise<Credential[]>;
  delete(namespace: string, name: string): Promise<Credential>;
  close(): Promise<void>;
}

/** The audit actions of credentials: every write and every use (gateway lookup, delivery). */
export const CredentialAuditAction = {
  Create: 'credential.create',
  Delete: 'credential.delete',
  Use: 'credential.use',
} as const;
