/**
 * Admission of a delete: a Volume that sandboxes mount is refused at once, naming them (its
 * finalizer holds a delete that reaches the store another way, as on Kubernetes, until they go).
 */
import { type AnyResource, ErrorCode, PaddockError, type ResourceStore } from '@paddock/core';
import { sandboxesMounting } from '../storage/volume-reconciler.ts';
import { describeResource } from './ownership.ts';

/** `conflict` (with `details.sandboxes`) when deleting `resource` would pull it from under sandboxes. */
export async function admitDelete(store: ResourceStore, resource: AnyResource): Promise<void> {
  if (resource.kind !== 'Volume') return;
  const sandboxes = await sandboxesMounting(store, resource);
  if (sandboxes.length === 0) return;
  throw new PaddockError(
    ErrorCode.Conflict,
    `${describeResource(resource)} is in use: mounted by sandboxes ${sandboxes.join(', ')}; delete them first`,
    { sandboxes },
  );
}
