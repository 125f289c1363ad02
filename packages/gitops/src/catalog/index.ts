export { DEFAULT_CATALOG } from './catalog.ts';
export { CATALOG_ENTRIES } from './catalog-entries.ts';
export {
  CatalogEntry,
  type CatalogEntryInput,
  Category,
  GITOPS_REPOSITORY,
  MAX_TIER,
  Tier,
} from './catalog-entry.ts';
export { type Catalog, catalogOf, findCycle, parseCatalog, withEntries } from './catalog-graph.ts';
export {
  type DependencyProblem,
  dependencyProblems,
  describeProblems,
  newDependencyProblems,
} from './dependency-problems.ts';
export {
  type DisableResult,
  dependencyClosure,
  disable,
  type EnableResult,
  enable,
  enabledNames,
  requireKnown,
} from './dependency-resolution.ts';
export { nearMatches } from './near-matches.ts';
export {
  applyProfiles,
  isProfile,
  PROFILES,
  Profile,
  parseProfiles,
  profileEntries,
} from './profiles.ts';
