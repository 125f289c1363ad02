/**
 * The compiled-in catalog, validated once at load: a bad entry, an unknown dependency, a cycle or
 * a tier out of order fails at import, not when a user first enables something.
 */
import { CATALOG_ENTRIES } from './catalog-entries.ts';
import { type Catalog, parseCatalog } from './catalog-graph.ts';

export const DEFAULT_CATALOG: Catalog = parseCatalog(CATALOG_ENTRIES);
