// Public surface of the GitOps repository part: the repository, its layout and Argo CD objects,
// agent namespaces, custom apps, catalog state, infra overrides and snapshots.
export {
  AGENT_SERVICE_ACCOUNT,
  type AgentManifestFile,
  type AgentManifests,
  AgentSpec,
  type AgentSpecInput,
  agentCiliumPolicy,
  agentLimitRange,
  agentManifests,
  agentUpdateMessage,
  type KubeManifest,
  mergeAgentChanges,
  RESERVED_NAMESPACES,
} from './agent-namespace.ts';
export {
  ARGOCD_API_VERSION,
  type ArgoObject,
  agentsApplicationSet,
  appProject,
  appsApplicationSet,
  bootstrapObjects,
  catalogApplicationSet,
  DEFAULT_REPO_SETTINGS,
  KEEP_ON_DELETE,
  PART_LABEL,
  type RepoSettings,
  SYNC_WAVE_ANNOTATION,
  TIER_LABEL,
} from './argocd-objects.ts';
export { catalogRollbackCheck } from './catalog-rollback.ts';
export { CatalogFile, catalogChangeMessage } from './catalog-state.ts';
export {
  type CommandResult,
  type CommandRunner,
  type GitAuthor,
  type GitInvocation,
  runGit,
} from './command-runner.ts';
export { type CustomApp, CustomAppInput } from './custom-app.ts';
export { deepMerge, isYamlMap, type YamlMap, type YamlValue } from './deep-merge.ts';
export {
  type CommitInfo,
  type CommitResult,
  GitopsRepo,
  type GitopsRepoOptions,
} from './gitops-repo.ts';
export {
  type AppChange,
  AppHistory,
  type AppHistoryOptions,
  type AppRef,
  appPaths,
  type RollbackCheck,
  type RollbackResult,
} from './history.ts';
export {
  INFRA_COMPONENTS,
  InfraComponent,
  infraDefaults,
  isInfraComponent,
} from './infra-defaults.ts';
export { applicationName, Layout } from './layout.ts';
export {
  PADDOCK_CHART_PATH,
  paddockChartChanges,
  paddockChartFiles,
  paddockChartPath,
  paddockChartVersion,
} from './paddock-chart.ts';
export { type SnapshotInfo, Snapshots, type SnapshotsOptions } from './snapshots.ts';
