// Public surface of @paddock/agent: the built-in harness, for embedding and for tests.
export { BudgetTracker, type Stop } from './budget.ts';
export { HarnessConfig, HarnessMode, resolveConfig, USAGE } from './config.ts';
export { EXIT_CONFIG_ERROR, exitCodeOf } from './exit-codes.ts';
export { AgentSession, CONTINUE_PROMPT } from './loop.ts';
export { connectMcpServers, mcpToolName } from './mcp-tools.ts';
export type { ChatMessage, ModelClient, ModelDelta, ToolSpec, TurnResult } from './model-client.ts';
export { BUDGET_LIMIT_HEADER, ModelCallError, ModelErrorCode } from './model-error.ts';
export {
  createModelClient,
  HARNESS_NAME,
  type HarnessIo,
  type HarnessResult,
  type PreparedRun,
  prepareRun,
  runHarness,
} from './run-harness.ts';
export { RunStopper } from './run-stopper.ts';
export { MCP_PREFIX, toolAllowlist } from './tool-allowlist.ts';
export { BUILTIN_TOOL_NAMES, BUILTIN_TOOLS } from './tools/builtin.ts';
export type { Tool, ToolContext, ToolOutput } from './tools/tool.ts';
export { TranscriptWriter } from './transcript-writer.ts';
