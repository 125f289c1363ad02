// The cluster lifecycle of @paddock/gitops: the runner of external tools, session.yaml,
// create/delete/start/stop/list/info/upgrade, --existing, doctor and sync.

export { type ArgoCdStandIn, startArgoCdStandIn } from './argocd-stand-in.ts';
export {
  ARGOCD_NAMESPACE,
  ARGOCD_REPO,
  BOOTSTRAP_VERSIONS,
  CILIUM_REPO,
  helmArgocd,
  helmCilium,
  k3dCreate,
  k3dDelete,
} from './bootstrap-plan.ts';
export {
  AGENT_NAMESPACE_LABEL,
  CheckStatus,
  type ClusterCheck,
  checkCluster,
  checkContainerEngine,
  checkTools,
  formatClusterChecks,
} from './doctor.ts';
export { bootstrapExisting } from './existing.ts';
export { gitServerObjects, IN_CLUSTER_REPO_URL, repositorySecret } from './git-server.ts';
export {
  defaultCatalogMessage,
  type GitopsRepository,
  gitopsRepository,
  type PaddockEntryChoice,
} from './gitops-repository.ts';
export { chooseHostPorts, DEFAULT_PORTS, type HostPorts, isPortFree } from './host-ports.ts';
export { type ApplyOutcome, applyServed, Discovery, type KubeObject } from './kube-objects.ts';
export {
  type ClusterEnv,
  type CreateOptions,
  clusterInfo,
  createCluster,
  deleteCluster,
  listClusters,
  preflight,
  repositoryDir,
  startCluster,
  stopCluster,
  UpgradeTarget,
  upgradeCluster,
} from './lifecycle.ts';
export {
  ARGOCD_MANAGER,
  type HandoverOptions,
  handOverToArgoCd,
  handOverToInstall,
  INSTALL_MANAGER,
  type Release,
  releaseFields,
} from './paddock-handover.ts';
export {
  applicationState,
  isSyncedAndHealthy,
  PADDOCK_APPLICATION,
  waitForPaddockApplication,
} from './paddock-rollout.ts';
export {
  ClusterMode,
  ClusterName,
  ClusterState,
  clusterDir,
  listSessions,
  paddockHome,
  readSession,
  Session,
  sessionPath,
  writeSession,
} from './session.ts';
export { formatDuration, formatStep, type Progress, type StepEvent } from './steps.ts';
export { SYNC_OPERATION, syncApplications, tiersOf } from './sync.ts';
export {
  INSTALL_HINTS,
  processRunner,
  RecordingRunner,
  type ScriptRule,
  Tool,
  type ToolInvocation,
  type ToolResult,
  type ToolRunner,
  toolMissing,
} from './tool-runner.ts';
