// Test support: what a test leaves on its `paddock up` is removed before the server stops.
import type { PaddockClient } from '@paddock/client';
import { eventually } from '@paddock/testkit';

/** Deletes every sandbox and waits until they are gone (deletion runs through the finalizer). */
export async function deleteAllSandboxes(paddock: PaddockClient): Promise<void> {
  for (const s of (await paddock.sandboxes.list()).items) {
    await paddock.sandboxes.delete(s.metadata.name ?? '').catch(() => {});
  }
  await eventually(async () => (await paddock.sandboxes.list()).items.length === 0, {
    what: 'every sandbox deleted',
  });
}
