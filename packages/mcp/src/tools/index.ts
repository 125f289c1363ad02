/** Every tool of the Paddock MCP server. */
import type { PaddockTool } from '../tool.ts';
import { governanceTools } from './governance.ts';
import { runTools } from './runs.ts';
import { sandboxTools } from './sandboxes.ts';
import { systemTools } from './system.ts';
import { templateTools } from './templates.ts';

export const ALL_TOOLS: readonly PaddockTool[] = [
  ...sandboxTools,
  ...templateTools,
  ...runTools,
  ...governanceTools,
  ...systemTools,
];
