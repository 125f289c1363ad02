import {
  type Kind,
  type LabelSelector,
  type ListOptions,
  matchesLabels,
  parseLabelSelector,
  type ResourceList,
  type ResourceOf,
} from '@paddock/core';
import { type ContinueToken, decodeContinue, encodeContinue } from './continue-token.ts';
import { invalidField, rowNamespace } from './object-key.ts';
import type { ObjectTable, PageCursor } from './object-table.ts';

// Scan at least this many rows per step when a selector filters a page (without one, a page
// reads its own rows and one more: every row read is decoded and validated).
const MIN_SCAN = 64;

/** A list request, validated. `limit` 0 means all items (as in Kubernetes). */
export type ListQuery<K extends Kind> = {
  kind: K;
  namespace: string | undefined;
  selector: LabelSelector;
  limit: number;
  token: ContinueToken | undefined;
};

/** Validates list options for `kind`; every problem is `validation_failed`. */
export function parseListOptions<K extends Kind>(kind: K, options: ListOptions): ListQuery<K> {
  const namespace = options.namespace
    ? rowNamespace(kind, options.namespace, 'namespace')
    : undefined;
  const selector = parseLabelSelector(options.labelSelector ?? '');
  const limit = options.limit ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw invalidField('limit', 'must be a whole number ≥ 0');
  }
  const token = options.continue ? decodeContinue(options.continue, kind) : undefined;
  return { kind, namespace, selector, limit, token };
}

/**
 * One page, read inside a snapshot: the matching objects after the token's cursor, ordered by
 * namespace then name, and a continue token when more match. `currentVersion` is the store's
 * version, reported unless the token carries the first page's.
 */
export function readPage<K extends Kind>(
  objects: ObjectTable,
  query: ListQuery<K>,
  currentVersion: string,
): ResourceList<ResourceOf<K>> {
  const { kind, namespace, selector, limit, token } = query;
  const resourceVersion = token?.resourceVersion ?? currentVersion;
  const items: ResourceOf<K>[] = [];
  const isFiltered = selector.requirements.length > 0;
  const batch = limit === 0 ? undefined : isFiltered ? Math.max(limit + 1, MIN_SCAN) : limit + 1;
  let cursor: PageCursor | undefined = token;
  for (;;) {
    const rows = objects.scan(kind, namespace, cursor, batch);
    for (const { object } of rows) {
      if (!matchesLabels(selector, object.metadata.labels)) continue;
      if (limit > 0 && items.length === limit) {
        const last = items.at(-1)?.metadata;
        const after = { namespace: last?.namespace ?? '', name: last?.name ?? '' };
        const next = encodeContinue({ v: 1, kind, resourceVersion, ...after });
        return { items, resourceVersion, continue: next };
      }
      items.push(object);
    }
    if (batch === undefined || rows.length < batch) return { items, resourceVersion };
    cursor = rows.at(-1)?.key;
  }
}
