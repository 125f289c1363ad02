export { createPaddockMcpServer, type PaddockMcpOptions } from './server.ts';
export {
  defineTool,
  ERROR_META_KEY,
  type PaddockTool,
  type ToolContext,
  type ToolErrorInfo,
  toolError,
  toolErrorOf,
} from './tool.ts';
export { hasKubernetesBackend } from './tools/cluster.ts';
export { ALL_TOOLS, toolsFor } from './tools/index.ts';
