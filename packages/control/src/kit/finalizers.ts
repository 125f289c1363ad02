import type { AnyResource, ResourceStore } from '@paddock/core';

/** Whether the object holds the finalizer. */
export function hasFinalizer(object: AnyResource, finalizer: string): boolean {
  return object.metadata.finalizers?.includes(finalizer) ?? false;
}

/** Adds the finalizer (a write conditional on the version read) unless the object holds it. */
export async function addFinalizer<T extends AnyResource>(
  store: ResourceStore,
  object: T,
  finalizer: string,
): Promise<T> {
  if (hasFinalizer(object, finalizer)) return object;
  const finalizers = [...(object.metadata.finalizers ?? []), finalizer];
  return store.update({ ...object, metadata: { ...object.metadata, finalizers } });
}

/**
 * Removes the finalizer (a write conditional on the version read); the store deletes a
 * terminating object once its last finalizer is gone.
 */
export async function removeFinalizer<T extends AnyResource>(
  store: ResourceStore,
  object: T,
  finalizer: string,
): Promise<T> {
  const finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return store.update({ ...object, metadata: { ...object.metadata, finalizers } });
}
