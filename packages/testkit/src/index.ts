// Public surface of @paddock/testkit: contract suites shared by every implementation of a seam.

export {
  type ApiKeyStoreUnderTest,
  apiKeyRecord,
  runApiKeyStoreContract,
} from './api-key-store-contract.ts';
export { type AuditLogUnderTest, auditRecord, runAuditLogContract } from './audit-log-contract.ts';
export {
  type CredentialStoreUnderTest,
  credentialInput,
  runCredentialStoreContract,
} from './credential-store-contract.ts';
export {
  type EventLogUnderTest,
  resourceEvent,
  runEventLogContract,
} from './event-log-contract.ts';
export { type EventuallyOptions, eventually } from './eventually.ts';
export { freePort } from './free-port.ts';
export {
  fullClusterSkipReason,
  type KubeTestServer,
  kubeSkipReason,
  startKubeTestServer,
} from './kube-server.ts';
export { type ExecScript, MemoryRuntime, type ScriptedResult } from './memory-runtime.ts';
export {
  type OidcTestUser,
  type RecordedAuthorization,
  type StandInOidc,
  type StandInOidcOptions,
  startStandInOidc,
} from './oidc-provider.ts';
export { bwrapSkipReason, type PaddockProcess, startPaddockProcess } from './paddock-process.ts';
export {
  type PostgresTestServer,
  postgresSkipReason,
  startPostgres,
} from './postgres-server.ts';
export {
  exposedSeriesNames,
  promqlSeriesNames,
  SYNTHETIC_SERIES,
} from './prometheus-names.ts';
export { isSettledThisTurn, withoutTimers } from './push-probe.ts';
export {
  type RunEventLogUnderTest,
  runEvent,
  runRunEventLogContract,
} from './run-event-log-contract.ts';
export {
  type RuntimeContractOptions,
  type RuntimeUnderTest,
  runtimeContract,
} from './runtime-contract.ts';
export { type Completed, collectText, runToEnd, shell } from './runtime-fixtures.ts';
export type {
  LlmScript,
  RecordedRequest,
  ScriptedLlm,
  ScriptedLlmOptions,
  ScriptedToolCall,
  ScriptedTurn,
} from './scripted-llm/script.ts';
export { startScriptedLlm } from './scripted-llm/server.ts';
export { mountSmallDisk, type SmallDisk } from './small-disk.ts';
export {
  type ContractCase,
  type ContractSubject,
  runStoreContract,
  type StoreContractOptions,
  type StoreUnderTest,
} from './store-contract.ts';
export {
  assertRejectsWith,
  clusterTemplate,
  EventReader,
  type FixtureOptions,
  pause,
  sandbox,
  summarize,
  template,
  uniqueName,
  within,
} from './store-fixtures.ts';
export { decodeTar, encodeTar, type TarEntry } from './tar-archive.ts';
export { startTcpGate, type TcpGate } from './tcp-gate.ts';
export {
  makeTestCertificates,
  opensslSkipReason,
  type TestCertificates,
} from './tls-certificates.ts';
export { runUsageCellsContract, type UsageCellsUnderTest } from './usage-cells-contract.ts';
export {
  llmCall,
  runUsageLedgerContract,
  type UsageLedgerUnderTest,
} from './usage-ledger-contract.ts';
export { runUsageReservationContract, usageReservation } from './usage-reservation-contract.ts';
