/**
 * How a run's harness starts inside its sandbox: the command, the environment (the gateway's URL
 * and the run's token — never a provider key) and the files it reads (its config). Pure: the
 * composition root says where the harness lives in the sandbox (`HarnessPaths`).
 */
import { type AgentSpec, HarnessKind, Provider, type Run } from '@paddock/core';

/** Where the harnesses are inside a sandbox (the local runtime mounts them read-only under /opt). */
export type HarnessPaths = {
  /** The Node.js that runs the built-in harness. */
  node: string;
  /** The built-in harness's entry point (`packages/agent/src/main.ts`). */
  agentMain: string;
};

/**
 * How the harness reaches models: the gateway's base URL as the sandbox sees it, and the run's
 * token; `mcpUrl` is Paddock's read-only MCP endpoint, for runs whose sandbox's template opts in
 * (`mcp: paddock-readonly`), reached with the same token.
 */
export type GatewayAccess = { baseUrl: string; token: string; mcpUrl?: string };

export type HarnessPlan = {
  command: string[];
  env: Record<string, string>;
  /** Written into the sandbox before the command starts. */
  files: Array<{ path: string; content: string }>;
};

/** The run's private directory inside the sandbox: config and the inbox of an interactive run. */
export const RUN_DIR = '/tmp/.paddock-run';
/** An interactive run's user messages, one JSON file each, named by sequence. */
export const RUN_INBOX_DIR = `${RUN_DIR}/inbox`;
const CONFIG_PATH = `${RUN_DIR}/config.json`;

/** The model an agent without one uses, per provider. */
export const DEFAULT_MODELS: Record<Provider, string> = {
  anthropic: 'claude-sonnet-4-5',
  openai: 'gpt-4.1',
};

/** The environment that points both provider SDKs at the gateway with the run's token. */
export function gatewayEnv(gateway: GatewayAccess): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: `${gateway.baseUrl}/anthropic`,
    ANTHROPIC_API_KEY: gateway.token,
    OPENAI_BASE_URL: `${gateway.baseUrl}/openai/v1`,
    OPENAI_API_KEY: gateway.token,
    ...(gateway.mcpUrl === undefined
      ? {}
      : { PADDOCK_MCP_URL: gateway.mcpUrl, PADDOCK_MCP_TOKEN: gateway.token }),
  };
}

/** The harness of `run` with `agent`'s definition. */
export function planHarness(
  run: Run,
  agent: AgentSpec,
  paths: HarnessPaths,
  gateway: GatewayAccess,
): HarnessPlan {
  const env = {
    ...gatewayEnv(gateway),
    PADDOCK_RUN: run.metadata.name ?? '',
    PADDOCK_NAMESPACE: run.metadata.namespace ?? '',
  };
  switch (agent.harness.kind) {
    case HarnessKind.Builtin: {
      const config = {
        provider: agent.provider ?? Provider.Anthropic,
        model: agent.model ?? DEFAULT_MODELS[agent.provider ?? Provider.Anthropic],
        ...(agent.systemPrompt === undefined ? {} : { systemPrompt: agent.systemPrompt }),
        ...(agent.tools === undefined ? {} : { tools: agent.tools }),
        ...(agent.mcpServers === undefined ? {} : { mcpServers: agent.mcpServers }),
        ...(agent.budget === undefined ? {} : { budget: agent.budget }),
        mode: run.spec.mode,
        prompt: run.spec.prompt,
        cwd: '/workspace',
        ...(run.spec.mode === 'interactive' ? { inbox: RUN_INBOX_DIR } : {}),
      };
      return {
        command: [
          paths.node,
          paths.agentMain,
          '--config',
          CONFIG_PATH,
          ...(agent.harness.command ?? []),
        ],
        env,
        files: [{ path: CONFIG_PATH, content: `${JSON.stringify(config, null, 2)}\n` }],
      };
    }
    // External CLIs (and plain commands) run under `paddock-agent wrap`, which maps their own
    // output onto transcript events; the prompt goes in a file, never on a command line.
    case HarnessKind.Command:
    case HarnessKind.ClaudeCode:
    case HarnessKind.Codex:
    case HarnessKind.OpenCode: {
      const files = [{ path: `${RUN_DIR}/prompt.txt`, content: run.spec.prompt }];
      if (agent.systemPrompt !== undefined) {
        files.push({ path: `${RUN_DIR}/system-prompt.txt`, content: agent.systemPrompt });
      }
      return {
        command: [
          paths.node,
          paths.agentMain,
          'wrap',
          agent.harness.kind,
          '--prompt-file',
          `${RUN_DIR}/prompt.txt`,
          ...(agent.model === undefined ? [] : ['--model', agent.model]),
          ...(agent.provider === undefined ? [] : ['--provider', agent.provider]),
          ...(run.spec.mode === 'interactive' ? ['--inbox', RUN_INBOX_DIR] : []),
          ...(agent.systemPrompt === undefined
            ? []
            : ['--system-prompt-file', `${RUN_DIR}/system-prompt.txt`]),
          ...(agent.budget?.maxTurns === undefined
            ? []
            : ['--max-turns', String(agent.budget.maxTurns)]),
          ...(agent.tools === undefined ? [] : ['--tools', agent.tools.join(',')]),
          '--',
          ...(agent.harness.command ?? []),
        ],
        env,
        files,
      };
    }
    default: {
      const unknown: never = agent.harness.kind;
      throw new Error(`no harness plan for ${String(unknown)}`);
    }
  }
}
