// Public surface of @paddock/client: the typed HTTP client of the Paddock REST API.
export type { CallArgs, Caller, CallOptions } from './call.ts';
export { createClient, type PaddockClient } from './client.ts';
export type { ClientOptions, ReconnectPolicy, TokenSource } from './client-options.ts';
export type { ClusterClient, ClusterListOptions, ClusterPodLogsOptions } from './cluster.ts';
export type { CredentialClient } from './credentials.ts';
export type { GovernanceOptions, PolicyClient, TemplateClient } from './governance.ts';
export type {
  ClientQuery,
  DeleteResult,
  KindInput,
  OperationId,
  Operations,
  OperationTypes,
  ResourceList,
} from './operations.ts';
export type { PortForward } from './port-forward.ts';
export type { ListOptions, ResourceClient, ScopeOptions, WatchOptions } from './resources.ts';
export {
  isTerminalRunPhase,
  type RunClient,
  type RunEventsOptions,
  type StartRunOptions,
} from './runs.ts';
export {
  type ForkOptions,
  type ForkResult,
  forkSandbox,
  MAX_FORK_COUNT,
} from './sandbox-fork.ts';
export type { SandboxProcesses } from './sandbox-processes.ts';
export type { LogsOptions, SandboxClient, SandboxFiles, WaitForOptions } from './sandboxes.ts';
export { parseSse, type SseMessage } from './sse.ts';
export type {
  Terminal,
  TerminalEvents,
  TerminalExit,
  TerminalSessionInfo,
  TerminalSize,
} from './terminal.ts';
export { type RequestOptions, requestIdOf } from './transport.ts';
