import { apiKeyId, hashApiKey, issueApiKey } from '@paddock/control';
import { type ApiKeyStore, isPaddockError } from '@paddock/core';

/** The owner of the bootstrap key. */
export const BOOTSTRAP_ADMIN = 'admin';

/**
 * When auth is required and no API key exists yet, installs the first admin key: the one given
 * in `PADDOCK_BOOTSTRAP_ADMIN_KEY` (only its hash is stored), or a fresh one that is returned so
 * the caller prints it once. Returns undefined when nothing was printed-worthy.
 */
export async function bootstrapAdminKey(
  apiKeys: ApiKeyStore,
  given: string | undefined,
  now: Date,
): Promise<{ key: string | undefined; id: string } | undefined> {
  if ((await apiKeys.list()).length > 0) return undefined;
  if (given !== undefined) {
    const id = apiKeyId(given);
    try {
      await apiKeys.create({
        id,
        hash: hashApiKey(given),
        ownerId: BOOTSTRAP_ADMIN,
        roles: ['admin'],
        name: 'bootstrap',
        createdAt: now.toISOString(),
      });
    } catch (error) {
      // Another replica sharing the database installed the same key first.
      if (isPaddockError(error, 'already_exists')) return undefined;
      throw error;
    }
    return { key: undefined, id };
  }
  const { key, record } = await issueApiKey(
    apiKeys,
    { ownerId: BOOTSTRAP_ADMIN, roles: ['admin'], name: 'bootstrap' },
    now,
  );
  return { key, id: record.id };
}
