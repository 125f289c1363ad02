// Public surface of @paddock/kube: Paddock on Kubernetes.

export { type ApiRequest, KubeClient, type KubeClientStats } from './client/kube-client.ts';
// Test support: a stand-in API server for core reads (namespaces, pods, services, events, logs).
export {
  type CoreApiObject,
  type CoreApiStandIn,
  startCoreApiStandIn,
} from './client/stand-in-core-api.ts';
export { crdFor, paddockCrds } from './crds/crds.ts';
export { installCrds } from './crds/install.ts';
export { KubeCredentialStore } from './credentials/kube-credential-store.ts';
export { readOrCreateSharedKey } from './credentials/shared-key.ts';
export { KubeEventLog } from './events/kube-event-log.ts';
export { type KubeEvent, KubeEventRecorder } from './events/kube-event-recorder.ts';
export { execInPod } from './exec/exec-in-pod.ts';
export { podFiles } from './exec/pod-files.ts';
export { forwardPort } from './exec/port-forward.ts';
// Test support: a stand-in API server serving pods/exec and pods/portforward on this machine.
export { startPodStandIn } from './exec/stand-in-pods.ts';
// Alert rules and dashboards: shared by the cluster install and one machine's deploy/monitoring/.
export {
  type AlertRule,
  runFailureRule,
  serverAlertRules,
} from './install/alert-rules.ts';
export {
  applyInstall,
  applyObject,
  detectCapabilities,
  formatMs,
  uninstall,
} from './install/applier.ts';
export { serverPanels } from './install/dashboard.ts';
// The Helm chart charts/paddock, rendered from the same code (the GitOps repository copies it).
export { CHART_VERSION, chartFiles } from './install/helm-chart.ts';
export { INSTALL_FIELD_MANAGER } from './install/install-meta.ts';
export {
  LOCAL_MONITORING_DIR,
  localAlertRules,
  localDashboard,
  localMonitoringFiles,
  localRuleFile,
} from './install/local-monitoring.ts';
export {
  type Access,
  accessOf,
  CONTROLLER_LEASE,
  CONTROLLER_PERMISSIONS,
  PermissionSource,
  SERVER_PERMISSIONS,
  SERVER_RUNS_LEASE,
} from './install/rbac.ts';
export { installManifest, manifestYaml, renderInstall } from './install/render.ts';
export { InstallValues, resolveValues } from './install/values.ts';
export { LeaderElector, runLeaderElection } from './leader/leader-election.ts';
export { measureTakeover, type TakeoverMeasurement } from './leader/takeover-measure.ts';
export { ControllerMetrics } from './metrics/controller-metrics.ts';
export {
  DEFAULT_HARNESS,
  HARNESS_COPY_PATH,
  HARNESS_LAYOUT,
  HARNESS_PATH,
  HarnessCli,
  type HarnessOptions,
  harnessCopyCommand,
  SANDBOX_HARNESS_PATHS,
} from './objects/harness.ts';
export { type ObjectOptionsInput, resolveObjectOptions } from './objects/options.ts';
export { checkPodSecurity } from './objects/pod-security.ts';
export { INSTANCE_RESOURCES, INSTANCE_SUBRESOURCES, OWNER_KINDS } from './runtime/api-paths.ts';
export { followPodLog } from './runtime/pod-log.ts';
export { PodRuntime } from './runtime/pod-runtime.ts';
// Test support: pods as bubblewrap namespaces of this machine behind a stand-in API server.
export {
  type StandInCluster,
  type StandInClusterOptions,
  startStandInCluster,
} from './runtime/stand-in-cluster.ts';
export type { StandInImage } from './runtime/stand-in-pod-host.ts';
export { KubeStore } from './store/kube-store.ts';
// Test support: one kubeconfig in front of the test API server (CRDs) and the stand-in pods.
export {
  CompositeBackend,
  type CompositeCluster,
  compositeBackendOf,
  startCompositeCluster,
} from './testing/composite-cluster.ts';
export {
  coreApiTestCrds,
  installCoreApiTestCrds,
  installPaddockTestCrds,
} from './testing/core-api-crds.ts';
// Test support: a sandbox container with a copied harness, for bwrap.
export { harnessSandboxArgs } from './testing/harness-sandbox.ts';
// Test support: CRDs standing in for Lease and Event on the test API server (never on a cluster).
