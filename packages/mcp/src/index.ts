export { createPaddockMcpServer, type PaddockMcpOptions } from './server.ts';
export { defineTool, type PaddockTool, type ToolContext, toolError } from './tool.ts';
export { ALL_TOOLS } from './tools/index.ts';
