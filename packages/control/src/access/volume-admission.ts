/** What may change of a Volume once it exists: not its size (an image is never resized). */
import { type AnyResource, ErrorCode, PaddockError } from '@paddock/core';

/** `validation_failed` naming `spec.size` when an update changes a Volume's size. */
export function requireVolumeSizeUnchanged(resource: AnyResource, current: AnyResource): void {
  if (resource.kind !== 'Volume' || current.kind !== 'Volume') return;
  if (resource.spec.size === current.spec.size) return;
  throw new PaddockError(
    ErrorCode.ValidationFailed,
    `spec.size: a volume's size is fixed at creation (it is ${current.spec.size ?? 'unbounded'}); create a new volume instead`,
    { issues: [{ path: 'spec.size', message: 'immutable after create' }] },
  );
}
