/** Every tool of the Paddock MCP server. */
import type { PaddockTool } from '../tool.ts';
import { sandboxTools } from './sandboxes.ts';

export const ALL_TOOLS: readonly PaddockTool[] = [...sandboxTools];
