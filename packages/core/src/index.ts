// Public surface of @paddock/core: the pure domain of Paddock.
export {
  Agent,
  AgentSpec,
  Budget,
  HarnessKind,
  McpServer,
  Provider,
} from './agent.ts';
export {
  ApiKeyRecord,
  type ApiKeyStore,
  apiKeyRowJson,
  decodeApiKeyRow,
  Role,
} from './api-key.ts';
export {
  AuditAction,
  AuditCursor,
  type AuditLog,
  type AuditPage,
  AuditQuery,
  AuditRecord,
  AuditResult,
  AuditTarget,
  decodeAuditCursor,
  encodeAuditCursor,
  MAX_AUDIT_PAGE,
} from './audit.ts';
export { ChangeFeed, type FollowSource, followLog, type LogPage } from './change-feed.ts';
export {
  Condition,
  ConditionStatus,
  type ConditionUpdate,
  findCondition,
  isConditionTrue,
  setCondition,
} from './conditions.ts';
export {
  assertCredentialValue,
  Credential,
  CredentialAuditAction,
  type CredentialInput,
  type CredentialSecret,
  type CredentialStore,
  CredentialType,
  GATEWAY_CREDENTIALS,
  MAX_CREDENTIAL_BYTES,
  SYSTEM_NAMESPACE,
} from './credential.ts';
export {
  DurationString,
  formatDurationMs,
  isDuration,
  parseDurationMs,
} from './duration.ts';
export {
  ErrorCode,
  type ErrorDetails,
  isErrorCode,
  isPaddockError,
  type JsonValue,
  PaddockError,
} from './errors.ts';
export {
  COMMON_FILE_SCRIPTS,
  FileExit,
  fileFailure,
  fileGuards,
} from './file-scripts.ts';
export { decodeJsonRow } from './json-row.ts';
export {
  formatLabelSelector,
  type LabelRequirement,
  type LabelSelector,
  matchesLabels,
  parseLabelSelector,
  SelectorOperator,
} from './label-selector.ts';
export {
  Annotations,
  API_GROUP,
  API_VERSION,
  LabelKey,
  Labels,
  LabelValue,
  NamespaceName,
  ObjectMeta,
  OwnerReference,
  ResourceName,
  Timestamp,
} from './metadata.ts';
export {
  allowedRootOf,
  hostPathProblem,
  isPathWithin,
  mountPathProblem,
} from './mount-paths.ts';
export {
  ClusterPolicy,
  Policy,
  PolicySpec,
} from './policy.ts';
export {
  assertAllowed,
  domainCovered,
  evaluate,
  imageRepository,
  PolicyRequest,
  PolicyUsage,
  RunPolicyRequest,
  runBudgetUsd,
  SandboxPolicyRequest,
  Violation,
  ViolationCode,
} from './policy-engine.ts';
export {
  effectivePolicy,
  POLICY_MERGE_RULES,
} from './policy-merge.ts';
export {
  costUsd,
  DEFAULT_PRICE_TABLE,
  ModelPrice,
  PriceTable,
  priceOf,
  type TokenCounts,
} from './pricing.ts';
export {
  addQuantity,
  canonicalQuantity,
  compareQuantity,
  formatQuantity,
  isQuantity,
  parseQuantity,
  type Quantity,
  QuantityFormat,
  QuantityString,
  quantityEquals,
  quantityToInteger,
  quantityToMilli,
  quantityToNumber,
} from './quantity.ts';
export {
  type EventLog,
  EventOrder,
  type EventPage,
  EventQuery,
  type EventRecorder,
  EventType,
  followEventLog,
  MAX_EVENT_PAGE,
  matchesEventQuery,
  type RecordedEvent,
  ResourceEvent,
} from './resource-event.ts';
export {
  type AnyResource,
  isKind,
  KIND_NAMES,
  KINDS,
  type Kind,
  kindForPlural,
  kindJsonSchema,
  type PrinterColumn,
  parseResource,
  type ResourceOf,
  Scope,
} from './resources.ts';
export {
  Run,
  RunMode,
  RunSpec,
  RunStatus,
  RunUsage,
} from './run.ts';
export {
  type RunEventLog,
  RunEventReadOptions,
  RunLogCursor,
} from './run-event-log.ts';
export { RUN_LABEL } from './run-label.ts';
export {
  canTransitionRun,
  initialRunState,
  isTerminalRunPhase,
  RunConditionType,
  type RunEvent,
  RunEventType,
  type RunLifecycleState,
  RunPhase,
  RunReason,
  type RunResult,
  runEventTypes,
  runPhases,
  runTransitions,
  terminalRunPhases,
  transitionRun,
} from './run-lifecycle.ts';
export {
  type DuplexStream,
  type ExecRequest,
  type ExitStatus,
  type FileInfo,
  type FileType,
  fileModeOctal,
  PauseMechanism,
  type PauseResult,
  type ProcessHandle,
  type ProcessInfo,
  type ProvisionRequest,
  type ReadOnlyFiles,
  type RuntimeObservation,
  RuntimeState,
  type SandboxFiles,
  type SandboxRef,
  type SandboxRuntime,
} from './runtime.ts';
export {
  DesiredState,
  ForwardedPort,
  LimitsMechanism,
  Sandbox,
  SandboxOverrides,
  SandboxSpec,
  SandboxStatus,
} from './sandbox.ts';
export {
  canTransitionSandbox,
  initialSandboxState,
  isTerminalSandboxPhase,
  ProvisionFailure,
  SandboxConditionType,
  type SandboxEvent,
  SandboxEventType,
  type SandboxLifecycleState,
  SandboxPhase,
  SandboxReason,
  sandboxEventTypes,
  sandboxPhases,
  sandboxTransitions,
  terminalSandboxPhases,
  transitionSandbox,
} from './sandbox-lifecycle.ts';
export {
  diskFullError,
  type StorageReserve,
} from './storage-reserve.ts';
export {
  type DeleteOptions,
  type DeleteResult,
  type ListOptions,
  type ObjectKey,
  type ResourceList,
  type ResourceStore,
  type WatchEvent,
  WatchEventType,
  type WatchOptions,
} from './store.ts';
export {
  type AnyTemplate,
  ClusterSandboxTemplate,
  CredentialUse,
  DomainPattern,
  Egress,
  EnvVar,
  InitScript,
  Isolation,
  McpToolset,
  MERGE_RULES,
  type MergeRule,
  Mount,
  Network,
  OverridableField,
  Port,
  ProgramText,
  Repo,
  Resources,
  SandboxEnvironment,
  SandboxTemplate,
  TemplateFile,
  TemplateKind,
  TemplateRef,
  TemplateSpec,
  TemplateStatus,
  WarmPool,
  WORKSPACE_SIZE_BOUNDS,
  Workspace,
} from './template.ts';
export {
  emptyMerged,
  type MergeableSpec,
  type Merged,
  type MergeRules,
  mergeEnvironment,
  type Origins,
  sourceLabel,
} from './template-merge.ts';
export {
  type AppliedOverrides,
  applyOverrides,
  MAX_INHERITANCE_DEPTH,
  type OverrideViolation,
  OverrideViolationCode,
  type ResolvedTemplate,
  type ResolveOptions,
  resolveTemplate,
  type TemplateLookup,
} from './template-resolve.ts';
export {
  addUsage,
  BudgetLimit,
  EMPTY_USAGE,
  parseTranscriptEvents,
  parseTranscriptLine,
  RunOutcome,
  type StoredTranscriptEvent,
  TRANSCRIPT_VERSION,
  TranscriptEvent,
  type TranscriptEventInput,
  TranscriptEventType,
  transcriptEvent,
} from './transcript.ts';
export {
  UsageCell,
  type UsageCellQuery,
  type UsageCellReader,
  usageCellWindow,
  usageHourOf,
} from './usage-cells.ts';
export {
  EMPTY_USAGE_TOTALS,
  LlmCallRecord,
  type ReserveOutcome,
  RunGrant,
  type UsageCap,
  type UsageLedger,
  UsageMetric,
  UsageReservation,
  type UsageScope,
  type UsageScopeField,
  type UsageScopeTerms,
  type UsageTotals,
  usageAmount,
  usageScopeTerms,
} from './usage-ledger.ts';
export {
  type FieldIssue,
  fieldIssues,
  formatPath,
  parseInput,
} from './validation.ts';
