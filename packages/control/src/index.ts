// Who may see, use and change which object, and the admission of every write.
export {
  auditActorFor,
  keyListOwner,
  keyToMint,
  revocableKey,
} from './access/api-key-access.ts';
export {
  isCredentialVisible,
  requireCredentialPut,
  requireCredentialWriter,
  visibleCredential,
} from './access/credential-access.ts';
export { admitDelete } from './access/delete-admission.ts';
export {
  describeObject,
  describeResource,
  isVisible,
  ownerOf,
  requireManageable,
  requireVisibleObject,
  requireWritable,
} from './access/ownership.ts';
export {
  type ReferenceDeps,
  requireUsableReferences,
} from './access/references.ts';
export {
  provisionedRef,
  runningRef,
  usableSandbox,
} from './access/sandbox-use.ts';
export {
  isIdleAsleep,
  readySandbox,
  readyWorkspace,
  WAKE_TIMEOUT_MS,
  type WakeOptions,
} from './access/sandbox-wake.ts';
export {
  admitWrite,
  admitWriteAccess,
  type WriteAdmissionDeps,
  withOwner,
} from './access/write-admission.ts';
export {
  type AdmissionOptions,
  type AdmissionResult,
  admitSandbox,
  DEFAULT_POLICY_NAME,
  loadPolicy,
  OWNER_ANNOTATION,
  QUOTA_PHASES,
} from './admission.ts';
// Authentication, authorization (visibility) and the audit log types of the control plane.
export {
  API_KEY_PREFIX,
  type ApiKeyRecord,
  type ApiKeyStore,
  apiKeyId,
  type GeneratedApiKey,
  generateApiKey,
  hashApiKey,
  hashesEqual,
  type IssueApiKeyInput,
  isApiKeyFormat,
  issueApiKey,
} from './auth/api-keys.ts';
export {
  AuditAction,
  type AuditLog,
  type AuditPage,
  type AuditQuery,
  AuditRecord,
  AuditResult,
  type AuditTarget,
  MAX_AUDIT_PAGE,
} from './auth/audit.ts';
export {
  AuthFailureReason,
  authFailure,
} from './auth/auth-failure.ts';
export {
  type AuthContext,
  type Authenticator,
  type AuthenticatorOptions,
  createAuthenticator,
  isLoopbackAddress,
  type RunTokenVerifier,
} from './auth/authenticator.ts';
export {
  createOidcVerifier,
  OIDC_ALGORITHMS,
  type OidcVerifier,
  type OidcVerifierOptions,
} from './auth/oidc.ts';
export {
  ANONYMOUS_ADMIN,
  canSee,
  isAdmin,
  type Principal,
  type PrincipalScope,
  PrincipalVia,
  requireAdmin,
  requireVisible,
} from './auth/principal.ts';
export {
  RequestChannel,
  requireInScope,
  type ScopedRequest,
} from './auth/principal-scope.ts';
export {
  type EventLog,
  type EventPage,
  type EventQuery,
  type EventRecorder,
  MemoryEventRecorder,
  type RecordedEvent,
  type ResourceEvent,
} from './event-recorder.ts';
export { findObject } from './find-object.ts';
// The controller kit (src/kit/): what every controller is built from.
export { CachedStore } from './kit/cached-store.ts';
export { Controller, type ControllerOptions, type ReconcileOutcome } from './kit/controller.ts';
export { addFinalizer, hasFinalizer, removeFinalizer } from './kit/finalizers.ts';
export {
  Informer,
  type InformerEvent,
  InformerEventType,
  type InformerHandler,
  type InformerOptions,
} from './kit/informer.ts';
export { ControllerManager } from './kit/manager.ts';
export { objectKeyOf, queueKey } from './kit/queue-key.ts';
export {
  type Lifecycle,
  type LifecycleState,
  type StatusObject,
  StatusWriter,
  type StatusWriterDeps,
} from './kit/status-writer.ts';
export {
  type Backoff,
  backoffDelayMs,
  DEFAULT_BACKOFF,
  type ReconcileResult,
  type Retry,
  WorkQueue,
  type WorkQueueOptions,
} from './kit/work-queue.ts';
export { runLifecycle, sandboxLifecycle } from './lifecycles.ts';
export {
  applyProvisioningSteps,
  cloneRepos,
  MAIN_PROCESS_ID,
  type ProvisionStepFailure,
  type StepRecord,
  startMainProcess,
} from './provisioning.ts';
export {
  type CompletedProcess,
  runToCompletion,
} from './run-to-completion.ts';
export {
  type CredentialSource,
  deliverCredentials,
} from './runs/credential-delivery.ts';
export {
  DEFAULT_MODELS,
  type GatewayAccess,
  gatewayEnv,
  type HarnessPaths,
  type HarnessPlan,
  planHarness,
  RUN_DIR,
  RUN_INBOX_DIR,
} from './runs/harness-plan.ts';
export {
  runViolations,
  type SpentToday,
} from './runs/run-admission.ts';
export { agentOfRun } from './runs/run-agent.ts';
export {
  type RunController,
  type RunControllerOptions,
  startRunController,
} from './runs/run-controller.ts';
export {
  grantOf,
  type RunGrantRules,
  type RunLimits,
  runGrantRules,
} from './runs/run-grants.ts';
export {
  type PumpState,
  type RunFinishedEvent,
  RunPumps,
  type RunPumpsOptions,
} from './runs/run-pump.ts';
export {
  BUDGET_EXCEEDED_ANNOTATION,
  CANCEL_REQUESTED_ANNOTATION,
  DEFAULT_RUN_TEMPLATE,
  harnessProcessId,
  RUN_FINALIZER,
  type RunReconcileDeps,
  reconcileRun,
  runSandboxName,
  STOP_GRACE_MS,
} from './runs/run-reconciler.ts';
export {
  idToRef,
  refToId,
  runtimeRefOf,
} from './runtime-ref.ts';
export {
  collectOrphans,
  type SandboxController,
  type SandboxControllerOptions,
  startSandboxController,
} from './sandbox-controller.ts';
export { canPause, withStartRequest } from './sandbox-pause.ts';
export {
  RETRY_REQUESTED_ANNOTATION,
  type ReconcileDeps,
  reconcileSandbox,
  SANDBOX_FINALIZER,
  START_REQUESTED_ANNOTATION,
  withSandboxFinalizer,
} from './sandbox-reconciler.ts';
// Snapshots and volumes (src/storage/): their reconcilers and controllers.
export {
  reconcileSnapshot,
  SNAPSHOT_FINALIZER,
  type SnapshotReconcileDeps,
  snapshotRefOf,
} from './storage/snapshot-reconciler.ts';
export {
  collectOrphanSnapshots,
  type StorageControllerDeps,
  type StorageControllers,
  watchStorage,
} from './storage/storage-controllers.ts';
export {
  reconcileVolume,
  sandboxesMounting,
  VOLUME_FINALIZER,
  type VolumeReconcileDeps,
  volumeRefOf,
  volumesOf,
} from './storage/volume-reconciler.ts';
export {
  type PoolStats,
  WARM_POOL_NAMESPACE,
  WarmPool,
  type WarmPoolOptions,
} from './warm-pool.ts';
