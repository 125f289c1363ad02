/** Tools over agents: list, get, create. */
import {
  type Agent,
  Budget,
  CredentialUse,
  HarnessKind,
  McpServer,
  Provider,
  Repo,
} from '@paddock/core';
import { z } from 'zod';
import { defineTool, NamespaceInput, type PaddockTool, READ_ONLY, scopeOf } from '../tool.ts';
import { optional } from './optional-fields.ts';
import { Paging, paging } from './paging.ts';

const AgentSummary = z.object({
  namespace: z.string(),
  name: z.string(),
  harness: z.string().describe('builtin, claude-code, codex, opencode or command'),
  provider: z.string().optional(),
  model: z.string().optional(),
  template: z.string().optional().describe('Kind/name of the template its sandboxes come from'),
  budget: Budget.optional(),
  runs: z.int().optional().describe('How many runs it has had'),
  lastRunAt: z.string().optional(),
});

const AgentDetail = AgentSummary.extend({
  systemPrompt: z.string().optional(),
  tools: z.array(z.string()).optional().describe('Tool allowlist; all built-in tools when absent'),
  mcpServers: z.array(z.string()).optional().describe('Names of its MCP servers'),
  repos: z.array(z.string()).optional().describe('URLs cloned into /workspace'),
  credentials: z.array(z.string()).optional().describe('Names of the credentials it uses'),
  command: z.array(z.string()).optional(),
});

function summarizeAgent(agent: Agent): z.input<typeof AgentSummary> {
  const { spec, status, metadata } = agent;
  const ref = spec.templateRef;
  return {
    namespace: metadata.namespace ?? 'default',
    name: metadata.name ?? '',
    harness: spec.harness.kind,
    ...optional('provider', spec.provider),
    ...optional('model', spec.model),
    ...optional('template', ref && `${ref.kind ?? 'SandboxTemplate'}/${ref.name}`),
    ...optional('budget', spec.budget),
    ...optional('runs', status?.runs),
    ...optional('lastRunAt', status?.lastRunAt),
  };
}

function describeAgent(agent: Agent): z.input<typeof AgentDetail> {
  const { spec } = agent;
  return {
    ...summarizeAgent(agent),
    ...optional('systemPrompt', spec.systemPrompt),
    ...optional('tools', spec.tools),
    ...optional(
      'mcpServers',
      spec.mcpServers?.map((s) => s.name),
    ),
    ...optional(
      'repos',
      spec.repos?.map((r) => r.url),
    ),
    ...optional(
      'credentials',
      spec.credentials?.map((c) => c.name),
    ),
    ...optional('command', spec.harness.command),
  };
}

export const agentTools: PaddockTool[] = [
  defineTool({
    name: 'agent_list',
    title: 'List agents',
    description:
      'Lists the agents (reusable agent definitions) you can use: harness, provider, model, template, budget and how many runs each has had. Use it to pick an agent for run_start. Returns up to `limit` agents and a `continue` token when there are more.',
    input: z.object({ namespace: NamespaceInput, ...Paging }),
    output: z.object({ items: z.array(AgentSummary), continue: z.string().optional() }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const list = await client
        .resources('Agent')
        .list({ ...scopeOf(input.namespace), ...paging(input), signal });
      return {
        items: list.items.map(summarizeAgent),
        ...optional('continue', list.metadata.continue),
      };
    },
  }),
  defineTool({
    name: 'agent_get',
    title: 'Get an agent',
    description:
      'Describes one agent: harness, provider and model, system prompt, tool allowlist, MCP server names, budget, repos, credential names and template. Use it before starting a run to know what the agent will do and what it may spend.',
    input: z.object({ name: z.string().min(1), namespace: NamespaceInput }),
    output: AgentDetail,
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) =>
      describeAgent(
        await client.resources('Agent').get(input.name, { ...scopeOf(input.namespace), signal }),
      ),
  }),
  defineTool({
    name: 'agent_create',
    title: 'Create an agent',
    description:
      'Creates an agent: a reusable definition of an AI agent that run_start gives tasks to. `harness` is builtin (the Paddock agent, the usual choice), claude-code, codex, opencode or command (argv in `command`). The model is reached through the Paddock gateway, so no API key goes into the agent. Returns the agent as stored; `already_exists` when the name is taken.',
    input: z.object({
      name: z.string().min(1).describe('A DNS-style name: lowercase letters, digits and -'),
      namespace: NamespaceInput,
      harness: z.enum([
        HarnessKind.Builtin,
        HarnessKind.ClaudeCode,
        HarnessKind.Codex,
        HarnessKind.OpenCode,
        HarnessKind.Command,
      ]),
      command: z
        .array(z.string())
        .min(1)
        .optional()
        .describe('argv for the command harness; extra arguments for the others'),
      provider: z.enum([Provider.Anthropic, Provider.OpenAI]).optional(),
      model: z.string().min(1).optional().describe('e.g. claude-sonnet-4-5'),
      systemPrompt: z.string().optional(),
      tools: z
        .array(z.string().min(1))
        .optional()
        .describe('Tool names the agent may call; all built-in tools when absent'),
      mcpServers: z.array(McpServer).optional(),
      budget: Budget.optional().describe(
        'Per-run limits: maxUsd, maxTurns, maxTokens, timeout (e.g. "20m")',
      ),
      repos: z.array(Repo).optional().describe('Git repositories cloned into /workspace'),
      credentials: z.array(CredentialUse).optional(),
      template: z
        .object({
          name: z.string().min(1),
          cluster: z.boolean().optional().describe('A ClusterSandboxTemplate'),
        })
        .optional()
        .describe("The template of the agent's sandboxes; the built-in agent template when absent"),
    }),
    output: AgentDetail,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    handle: async (input, { client, signal }) => {
      const { template } = input;
      const agent = await client.resources('Agent').create(
        {
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'Agent',
          metadata: { name: input.name, ...scopeOf(input.namespace) },
          spec: {
            harness: { kind: input.harness, ...optional('command', input.command) },
            ...optional('provider', input.provider),
            ...optional('model', input.model),
            ...optional('systemPrompt', input.systemPrompt),
            ...optional('tools', input.tools),
            ...optional('mcpServers', input.mcpServers),
            ...optional('budget', input.budget),
            ...optional('repos', input.repos),
            ...optional('credentials', input.credentials),
            ...optional(
              'templateRef',
              template && {
                kind: template.cluster ? 'ClusterSandboxTemplate' : 'SandboxTemplate',
                name: template.name,
              },
            ),
          },
        },
        { signal },
      );
      return describeAgent(agent);
    },
  }),
];
