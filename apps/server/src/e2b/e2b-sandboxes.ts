/**
 * How E2B's names map onto Paddock's: an E2B sandbox id is the name of a Sandbox in the E2B
 * namespace, and its envd access token is derived from the Sandbox's uid with a key kept in the
 * data directory, so the token a create returned still opens the sandbox after a server restart
 * and never opens a sandbox recreated under the same name.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { Sandbox } from '@paddock/core';
import { readOrCreateSecret } from '../secret-file.ts';

/** The envd version Paddock's envd reports: the SDK enables its features by it. */
export const ENVD_VERSION = '0.6.4';

/** The namespace the E2B surface creates and finds sandboxes in. */
export const E2B_NAMESPACE = 'default';

/** Set to `false` on a Sandbox created with `secure: false`: its envd needs no access token. */
export const E2B_SECURE_ANNOTATION = 'paddock.dev/e2b-secure';
/** The E2B template name a Sandbox was created from (`base`), shown back as `templateID`/`alias`. */
export const E2B_TEMPLATE_ANNOTATION = 'paddock.dev/e2b-template';
/**
 * Set on the SandboxSnapshot a fork takes, to the id of the sandbox forked: E2B's fork shows no
 * snapshot, so that one is not listed, and is deleted once the forks are started.
 */
export const E2B_FORK_ANNOTATION = 'paddock.dev/e2b-fork-of';
/** The E2B metadata of a Sandbox, as a JSON object of strings (E2B's keys need not be label keys). */
export const E2B_METADATA_ANNOTATION = 'paddock.dev/e2b-metadata';

const SANDBOX_ID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The Sandbox key an E2B sandbox id names, or undefined for an id no Sandbox can have. */
export function keyOfSandboxId(id: string): { namespace: string; name: string } | undefined {
  return SANDBOX_ID.test(id) ? { namespace: E2B_NAMESPACE, name: id } : undefined;
}

export function sandboxIdOf(sandbox: Sandbox): string {
  return sandbox.metadata.name ?? '';
}

/**
 * Whether envd calls to this sandbox need its access token (E2B's `secure`, on by default). On a
 * server that authenticates its callers they always do: the annotation that turns it off can be
 * written through REST or the Kubernetes API too (and outlives a restart with auth turned on),
 * and honouring it there would let anyone who knows the id run code in the sandbox.
 */
export function isSecure(sandbox: Sandbox, isAuthRequired: boolean): boolean {
  return isAuthRequired || sandbox.metadata.annotations?.[E2B_SECURE_ANNOTATION] !== 'false';
}

/** The E2B metadata recorded on a Sandbox (empty when none, or unreadable). */
export function metadataOf(sandbox: Sandbox): Record<string, string> {
  const raw = sandbox.metadata.annotations?.[E2B_METADATA_ANNOTATION];
  if (raw === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  } catch {
    return {};
  }
}

/** Signs and checks envd access tokens. */
export class AccessTokens {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  /** The token of this incarnation of the sandbox (its uid). */
  tokenFor(sandbox: Sandbox): string {
    const { namespace, name, uid } = sandbox.metadata;
    return createHmac('sha256', this.#key)
      .update(`e2b-envd\0${namespace ?? ''}\0${name ?? ''}\0${uid ?? ''}`)
      .digest('base64url');
  }

  /** Whether `token` is this sandbox's (constant time). */
  isValid(sandbox: Sandbox, token: string | undefined): boolean {
    if (token === undefined) return false;
    const expected = Buffer.from(this.tokenFor(sandbox));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** The key of the access tokens: `e2b.key` in the data directory. */
export function openAccessTokens(home: string): AccessTokens {
  return new AccessTokens(readOrCreateSecret(join(home, 'e2b.key')));
}
