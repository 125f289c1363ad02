import type { Kind, ResourceOf, ResourceStore, WatchEvent } from '@paddock/core';

/** How long to wait before following the store's changes again after its watch failed. */
const REWATCH_DELAY_MS = 1000;

/**
 * Hands every change of `kind` in `store`, from now on, to `onChange` until `signal` aborts; a
 * failed watch (a version compacted away, a store error) is followed again from the current
 * version. With `onList`, each (re)start first hands it every object as it then is. For the
 * server's own bookkeeping of open connections, not for controllers.
 */
export async function followChanges<K extends Kind>(
  store: ResourceStore,
  kind: K,
  signal: AbortSignal,
  log: (line: string) => void,
  onChange: (event: WatchEvent<ResourceOf<K>>) => void,
  onList?: (items: readonly ResourceOf<K>[]) => void,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const page = await store.list(kind, onList === undefined ? { limit: 1 } : {});
      onList?.(page.items);
      const { resourceVersion } = page;
      for await (const event of store.watch(kind, { resourceVersion, signal })) onChange(event);
    } catch (error) {
      if (signal.aborted) return;
      log(`following ${kind} changes: watch failed, following again: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, REWATCH_DELAY_MS).unref());
    }
  }
}
