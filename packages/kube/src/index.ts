// Public surface of @paddock/kube: Paddock on Kubernetes.

export { kubeError } from './client/errors.ts';
export {
  KubeClient,
  type KubeClientOptions,
  type KubeClientStats,
  type RawWatchEvent,
} from './client/kube-client.ts';
export { type CustomResourceDefinition, crdFor, paddockCrds } from './crds/crds.ts';
export { installCrds } from './crds/install.ts';
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
export { KubeStore } from './store/kube-store.ts';
// Test support: CRDs standing in for Lease and Event on the test API server (never on a cluster).
export {
  coreApiTestCrds,
  installCoreApiTestCrds,
  type StructuralSchema,
} from './testing/core-api-crds.ts';
