import {
  ErrorCode,
  isPaddockError,
  type Kind,
  type ObjectKey,
  type ResourceOf,
  type ResourceStore,
} from '@paddock/core';

/** The object at `key`, or `undefined` when there is none; any other failure is thrown. */
export async function findObject<K extends Kind>(
  store: ResourceStore,
  kind: K,
  key: ObjectKey,
): Promise<ResourceOf<K> | undefined> {
  try {
    return await store.get(kind, key);
  } catch (error) {
    if (isPaddockError(error, ErrorCode.NotFound)) return undefined;
    throw error;
  }
}
