/** Every tool of the Paddock MCP server. */
import type { PaddockTool } from '../tool.ts';
import { agentTools } from './agents.ts';
import { clusterTools } from './cluster.ts';
import { governanceTools } from './governance.ts';
import { runTools } from './runs.ts';
import { sandboxExecTools } from './sandbox-exec.ts';
import { sandboxFileTools } from './sandbox-files.ts';
import { sandboxObserveTools } from './sandbox-observe.ts';
import { sandboxTools } from './sandboxes.ts';
import { systemTools } from './system.ts';
import { templateTools } from './templates.ts';

export const ALL_TOOLS: readonly PaddockTool[] = [
  ...sandboxTools,
  ...sandboxExecTools,
  ...sandboxFileTools,
  ...sandboxObserveTools,
  ...templateTools,
  ...agentTools,
  ...runTools,
  ...governanceTools,
  ...systemTools,
];

/**
 * The tools a server offers: every tool, plus the read-only cluster tools where the Paddock
 * server runs on Kubernetes (`hasKubernetes`: the engine's backend, or `hasKubernetesBackend`).
 */
export function toolsFor(options: { hasKubernetes: boolean }): readonly PaddockTool[] {
  return options.hasKubernetes ? [...ALL_TOOLS, ...clusterTools] : ALL_TOOLS;
}
