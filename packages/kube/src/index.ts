// Public surface of @paddock/kube: Paddock on Kubernetes.

export { kubeError } from './client/errors.ts';
export {
  type ApiRequest,
  KubeClient,
  type KubeClientOptions,
  type KubeClientStats,
  type RawWatchEvent,
  type UpgradeOptions,
} from './client/kube-client.ts';
export { type CustomResourceDefinition, crdFor, paddockCrds } from './crds/crds.ts';
export { installCrds } from './crds/install.ts';
export {
  KubeCredentialStore,
  type KubeCredentialStoreOptions,
} from './credentials/kube-credential-store.ts';
export { KubeEventLog } from './events/kube-event-log.ts';
export {
  type EventOutcome,
  type KubeEvent,
  KubeEventRecorder,
  type KubeEventRecorderOptions,
  NOTE_LIMIT_BYTES,
  REPORTING_CONTROLLER,
  truncateNote,
} from './events/kube-event-recorder.ts';
export {
  type ChannelMessage,
  ChannelProtocol,
  decodeMessage,
  ExecChannel,
  encodeClose,
  encodeData,
  encodeResize,
} from './exec/channel-protocol.ts';
export { execInPod, type PodExecRequest, type PodTarget } from './exec/exec-in-pod.ts';
export { exitCodeOf } from './exec/exec-status.ts';
export { signalCommand, wrapCommand } from './exec/exec-wrapper.ts';
export { type PodFilesOptions, podFiles, type RunInPod } from './exec/pod-files.ts';
export { forwardPort, type PodPort } from './exec/port-forward.ts';
// Test support: a stand-in API server serving pods/exec and pods/portforward on this machine.
export {
  type PodStandIn,
  type PodStandInOptions,
  type StandInPod,
  startPodStandIn,
} from './exec/stand-in-pods.ts';
export {
  type ApplyOptions,
  applyCrds,
  applyInstall,
  applyObject,
  detectCapabilities,
  formatMs,
  pruneRelease,
  releaseObjects,
  uninstall,
} from './install/applier.ts';
export { CHART_DIR, chartFiles } from './install/helm-chart.ts';
export {
  INSTALL_KINDS,
  type InstallKind,
  installKind,
  objectPathOf,
} from './install/install-kinds.ts';
export {
  INSTALL_FIELD_MANAGER,
  type KubeObject as InstalledObject,
  releaseSelector,
} from './install/install-meta.ts';
export {
  type Access,
  accessOf,
  CONTROLLER_LEASE,
  CONTROLLER_PERMISSIONS,
  type Permission,
  PermissionSource,
  SERVER_PERMISSIONS,
} from './install/rbac.ts';
export {
  type ClusterCapabilities,
  type InstallManifest,
  installManifest,
  manifestYaml,
  NO_CAPABILITIES,
  renderInstall,
} from './install/render.ts';
export {
  defaultValues,
  InstallValues,
  type InstallValuesInput,
  PrometheusOperatorMode,
  resolveValues,
} from './install/values.ts';
export {
  LEADER_ELECTION_DEFAULTS,
  type LeaderCallbacks,
  type LeaderElectionOptions,
  LeaderElector,
  runLeaderElection,
} from './leader/leader-election.ts';
export { type Lease, LeaseLock, type LeaseSpec, microTime } from './leader/lease-lock.ts';
export {
  measureTakeover,
  type TakeoverMeasurement,
  type TakeoverOptions,
} from './leader/takeover-measure.ts';
export {
  type ApiRequestReport,
  ControllerMetrics,
  type ControllerMetricsOptions,
  codeOf,
  type MetricLabels,
  type MetricsRegistry,
  type ReconcileReport,
  verbOf,
} from './metrics/controller-metrics.ts';
export {
  AGENT_SERVICE_ACCOUNT,
  type AgentNamespaceObjects,
  agentNamespaceName,
  agentNamespaceObjects,
} from './objects/agent-namespace.ts';
export { DENIED_IPV4, DENIED_IPV6, METADATA_ADDRESSES } from './objects/cidrs.ts';
export {
  type CiliumNetworkPolicy,
  fqdnSelector,
  sandboxCiliumPolicy,
} from './objects/cilium-policy.ts';
export {
  egressProxyEnv,
  egressProxyName,
  egressProxyNetworkPolicy,
  egressProxyPod,
  egressProxyService,
  usesEgressProxy,
} from './objects/egress-proxy.ts';
export {
  Component,
  type ControllerReference,
  environmentHash,
  type Instance,
  instanceSelector,
  type LabelKeys,
  labelKeys,
  resolvedEnvironment,
  sandboxInstance,
  sandboxOwnerReference,
  templateLabel,
  templateOwnerReference,
} from './objects/labels.ts';
export { dnsLabel, labelValue, objectName, serviceName } from './objects/names.ts';
export {
  networkPolicyName,
  parseServiceRef,
  sandboxNetworkPolicy,
} from './objects/network-policy.ts';
export {
  DEFAULT_OBJECT_OPTIONS,
  type ObjectOptions,
  type ObjectOptionsInput,
  type PodPeer,
  resolveObjectOptions,
  type ServiceEndpoint,
} from './objects/options.ts';
export {
  checkPodSecurity,
  PodSecurityLevel,
  PodSecurityRule,
  type PodSecurityViolation,
} from './objects/pod-security.ts';
export { portServiceName, portServices } from './objects/port-services.ts';
export { sandboxResources, workspaceSize } from './objects/resources.ts';
export {
  type EgressProxyObjects,
  type InstanceObjects,
  instanceObjects,
  type SandboxObjects,
  sandboxObjects,
} from './objects/sandbox-objects.ts';
export {
  credentialSecretName,
  MAIN_CONTAINER,
  START_GATE_PATH,
  sandboxPod,
} from './objects/sandbox-pod.ts';
export { sandboxServiceAccount, serviceAccountName } from './objects/service-account.ts';
export {
  filesConfigMap,
  filesConfigMapName,
  splitTemplateFiles,
  WRITABLE_PATHS,
} from './objects/template-files.ts';
export {
  type ClaimPatch,
  claimPatch,
  MERGE_PATCH_CONTENT_TYPE,
  planWarmPool,
  type WarmPoolMember,
  type WarmPoolPlan,
  warmInstance,
  warmPoolMember,
  warmPoolObjects,
  warmPoolSelector,
} from './objects/warm-pool.ts';
export { workspaceClaim, workspaceClaimName } from './objects/workspace-claim.ts';
export {
  type AddressedObject,
  type ApiResource,
  apiResource,
  groupVersionPath,
  INSTANCE_RESOURCES,
  INSTANCE_SUBRESOURCES,
  objectPath,
  resourcePath,
} from './runtime/api-paths.ts';
export {
  instanceFromRef,
  instanceName,
  ownerRefOf,
  sandboxOwnerUid,
} from './runtime/instance-ref.ts';
export { observePod, podFailure } from './runtime/pod-observation.ts';
export { PodRuntime, type PodRuntimeOptions } from './runtime/pod-runtime.ts';
export { type RuntimeStateData, stateName } from './runtime/runtime-state.ts';
export { KubeStore } from './store/kube-store.ts';
// Test support: CRDs standing in for Lease and Event on the test API server (never on a cluster).
export {
  coreApiTestCrds,
  installCoreApiTestCrds,
  type StructuralSchema,
} from './testing/core-api-crds.ts';
