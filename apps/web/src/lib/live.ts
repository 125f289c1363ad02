import type { Kind } from '@paddock/core';
import { type QueryKey, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useSession } from './session.ts';

/**
 * Keeps queries of a kind fresh: watches the kind over SSE (the client resumes after a drop) and
 * invalidates `queryKey` on every change, so lists and details update without polling.
 */
export function useLiveKind(
  kind: Kind,
  queryKey: QueryKey,
  options: { allNamespaces?: boolean } = {},
) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const key = JSON.stringify(queryKey);
  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      while (!abort.signal.aborted) {
        try {
          const watch = client.resources(kind).watch({
            signal: abort.signal,
            ...(options.allNamespaces ? { allNamespaces: true } : { namespace }),
          });
          for await (const _ of watch) {
            void queryClient.invalidateQueries({ queryKey: JSON.parse(key) as QueryKey });
          }
        } catch {
          // The watch ended (server restart, expired version): wait, refetch, watch again.
        }
        if (abort.signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, 2000));
        void queryClient.invalidateQueries({ queryKey: JSON.parse(key) as QueryKey });
      }
    })();
    return () => abort.abort();
  }, [client, kind, key, namespace, options.allNamespaces, queryClient]);
}
