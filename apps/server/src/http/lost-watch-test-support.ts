import type { Kind, ResourceStore } from '@paddock/core';

/**
 * For tests: `store`, except that its first watch of `kind` hands over nothing and fails once
 * `whileLost` has run, so that what `whileLost` changes happens while nobody follows (as when the
 * connection to the store drops). Later watches are the store's own.
 */
export function storeWithLostWatch(
  store: ResourceStore,
  kind: Kind,
  whileLost: () => Promise<void>,
): ResourceStore {
  let isLost = false;
  const lostWatch = (): AsyncIterable<never> => ({
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        await whileLost();
        throw new Error('the connection to the store dropped');
      },
    }),
  });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'watch') {
        return (watched: Kind, options: Parameters<ResourceStore['watch']>[1]) => {
          if (watched !== kind || isLost) return target.watch(watched, options);
          isLost = true;
          return lostWatch();
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
