// The public surface of @paddock/gitops: the catalog and profiles (src/catalog), the GitOps
// repository (src/repo) and the cluster lifecycle (src/cluster). Each part exports from here.

export * from './catalog/index.ts';
export * from './cluster/index.ts';
export * from './repo/index.ts';
