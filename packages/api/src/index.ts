// Public surface of @paddock/api: the wire contract of the Paddock REST API.
export {
  ApiKey,
  ApiKeyList,
  ApiKeyListQuery,
  ApiKeyParams,
  CreateApiKeyBody,
  CreatedApiKey,
  CurrentUser,
  RevokedApiKey,
  Role,
} from './accounts.ts';
export {
  AuditList,
  AuditQuery,
  AuditRecord,
  AuditResult,
} from './audit.ts';
export {
  ConflictDetails,
  ErrorBody,
  ErrorEnvelope,
  fromEnvelope,
  JsonValueSchema,
  PolicyViolationDetails,
  toEnvelope,
  ValidationDetails,
} from './error-envelope.ts';
export {
  ExecBody,
  ExecResult,
  ExecStreamEvent,
} from './exec.ts';
export {
  DownloadKind,
  DownloadLink,
  DownloadLinkBody,
  DownloadQuery,
  FileInfo,
  FileList,
  FileType,
  FileWriteResult,
  MkdirBody,
  MoveBody,
  PathQuery,
  RemoveFileQuery,
  SandboxPath,
  WriteFileQuery,
} from './files.ts';
export { httpStatusFor } from './http-status.ts';
export {
  DeleteQuery,
  deleteResultOf,
  FieldSelectorQuery,
  kindListSchema,
  LabelSelectorQuery,
  ListMeta,
  ListQuery,
  listOf,
  QueryBoolean,
  watchEventOf,
} from './list.ts';
export {
  buildOpenApiDocument,
  errorStatusesFor,
  type OpenApiOptions,
} from './openapi.ts';
export {
  KillProcessQuery,
  ProcessExit,
  ProcessId,
  ProcessList,
  ProcessParams,
  SandboxProcess,
  StartProcessBody,
} from './processes.ts';
export {
  type AnyRoute,
  type BinaryPayload,
  binary,
  buildPath,
  defineRoute,
  HttpMethod,
  type JsonPayload,
  json,
  matchPath,
  type NdjsonPayload,
  ndjson,
  type Payload,
  pathParamNames,
  type Route,
  type RouteBody,
  type RouteParams,
  type RouteQuery,
  type RouteResponse,
  type RouteResult,
  type SsePayload,
  type SuccessStatus,
  sse,
  type TextPayload,
  text,
} from './route.ts';
export {
  matchRoute,
  ROUTES,
  type RouteMatch,
  routeById,
} from './routes.ts';
export {
  CLUSTER_ROUTES,
  ClusterContainer,
  ClusterEvent,
  ClusterEventList,
  ClusterInfo,
  ClusterListQuery,
  ClusterNamespace,
  ClusterNamespaceList,
  ClusterPod,
  ClusterPodList,
  ClusterPodLogsQuery,
  ClusterPodParams,
  ClusterService,
  ClusterServiceList,
  clusterRouteList,
} from './routes-cluster.ts';
export {
  CREDENTIAL_ROUTES,
  CreateCredentialBody,
  CredentialList,
  CredentialListQuery,
  credentialRouteList,
} from './routes-credentials.ts';
export {
  APPLY_CONTENT_TYPE,
  ClusterNameParams,
  ClusterParams,
  collectionPath,
  itemPath,
  NamespacedNameParams,
  NamespaceParams,
  RESOURCE_ROUTES,
  type ResourceRoutes,
  resourceRouteList,
  resourceRoutes,
} from './routes-resources.ts';
export {
  RUN_ROUTES,
  RunEventList,
  RunEventsQuery,
  RunMessageAccepted,
  RunMessageBody,
  runRouteList,
  StoredTranscriptEvent,
} from './routes-runs.ts';
export {
  SANDBOX_ROUTES,
  sandboxRouteList,
} from './routes-sandbox.ts';
export {
  AuthConfig,
  Health,
  KindInfoList,
  Readiness,
  SYSTEM_ROUTES,
  systemRouteList,
} from './routes-system.ts';
export {
  EffectivePolicy,
  PolicyCheckResult,
  PolicySource,
  PolicyUsageNow,
  ResolvedTemplate,
  TEMPLATE_POLICY_ROUTES,
  templatePolicyRouteList,
} from './routes-templates-policy.ts';
export {
  EventList,
  EventsQuery,
  LogLine,
  LogsQuery,
  PortList,
  PortListItem,
  ResourceEvent,
} from './sandbox-info.ts';
export {
  BEARER_PROTOCOL_PREFIX,
  ClientMessage,
  PORT_FORWARD_PROTOCOL,
  ServerMessage,
  TERMINAL_BUFFER_BYTES,
  TERMINAL_MAX_FRAME_BYTES,
  TERMINAL_PROTOCOL,
  TerminalCloseCode,
  TerminalQuery,
  TerminalSignal,
} from './terminal-protocol.ts';
export {
  MAX_USAGE_WINDOW_DAYS,
  ModelUsage,
  UsageBudget,
  UsageBudgetScope,
  UsageDay,
  UsageGroup,
  UsageGroupBy,
  UsageQuery,
  UsageReport,
  UsageTotals,
  WarmPoolList,
  WarmPoolStatus,
} from './usage.ts';
