import type { KindInput } from '@paddock/client';
import {
  type Agent,
  type AgentSpec,
  DurationString,
  ErrorCode,
  HarnessKind,
  PaddockError,
  Provider,
} from '@paddock/core';
import { z } from 'zod';
import { type Invocation, OutputFormat, usageError } from '../cli-options.ts';
import type { Command, CommandContext } from '../command.ts';
import { type Column, formatAge, formatResources } from '../output.ts';
import { readManifests } from './read-manifests.ts';
import { oneName } from './sandbox.ts';

const harnessKinds = Object.values(HarnessKind);
const providers = Object.values(Provider);

/** The flags of `agent create`, as given on the command line (strings), checked together. */
const AgentFlags = z.object({
  harness: z.enum(harnessKinds, { error: `must be one of ${harnessKinds.join(', ')}` }),
  model: z.string().min(1).optional(),
  provider: z.enum(providers, { error: `must be one of ${providers.join(', ')}` }).optional(),
  'system-prompt': z.string().optional(),
  'max-usd': z.coerce.number().positive('must be a positive number of dollars').optional(),
  'max-turns': z.coerce.number().int().positive('must be a positive whole number').optional(),
  timeout: DurationString.optional(),
  template: z.string().min(1).optional(),
});

/** An AgentSpec from `agent create` flags; `rest` (after `--`) is the harness's command. */
export function agentSpecFromFlags(flags: Invocation['flags'], rest: string[] | undefined) {
  const result = AgentFlags.safeParse(flags);
  if (!result.success) {
    throw usageError(
      result.error.issues.map((issue) => ({
        path: `--${String(issue.path[0] ?? '')}`,
        message:
          issue.path[0] === 'harness' && flags.harness === undefined
            ? 'is required'
            : issue.message,
      })),
    );
  }
  const f = result.data;
  const budget = {
    ...(f['max-usd'] !== undefined && { maxUsd: f['max-usd'] }),
    ...(f['max-turns'] !== undefined && { maxTurns: f['max-turns'] }),
    ...(f.timeout !== undefined && { timeout: f.timeout }),
  };
  const spec: AgentSpec = {
    harness: { kind: f.harness, ...(rest && rest.length > 0 && { command: rest }) },
    ...(f.model !== undefined && { model: f.model }),
    ...(f.provider !== undefined && { provider: f.provider }),
    ...(f['system-prompt'] !== undefined && { systemPrompt: f['system-prompt'] }),
    ...(Object.keys(budget).length > 0 && { budget }),
    ...(f.template !== undefined && { templateRef: { name: f.template } }),
  };
  if (spec.harness.kind === HarnessKind.Command && !spec.harness.command) {
    throw usageError([{ path: '--', message: 'the command harness needs its command after --' }]);
  }
  return spec;
}

/** `$5 · 20 turns · 10m`, or `-` without a budget. */
function budgetText(agent: Agent): string {
  const budget = agent.spec.budget;
  const parts = [
    budget?.maxUsd !== undefined && `$${budget.maxUsd}`,
    budget?.maxTurns !== undefined && `${budget.maxTurns} turns`,
    budget?.maxTokens !== undefined && `${budget.maxTokens} tokens`,
    budget?.timeout !== undefined && budget.timeout,
  ].filter((part): part is string => typeof part === 'string');
  return parts.length === 0 ? '-' : parts.join(' · ');
}

export function agentColumns(now: Date): Column<Agent>[] {
  return [
    { header: 'NAME', value: (a) => a.metadata.name ?? '' },
    { header: 'HARNESS', value: (a) => a.spec.harness.kind },
    {
      header: 'MODEL',
      value: (a) => [a.spec.provider, a.spec.model].filter(Boolean).join('/') || '-',
    },
    { header: 'BUDGET', value: budgetText },
    { header: 'AGE', value: (a) => formatAge(a.metadata.creationTimestamp, now) },
  ];
}

function printAgents(context: CommandContext, items: Agent[], isList: boolean) {
  const columns = agentColumns(context.io.now());
  context.io.stdout(formatResources(items, { format: context.settings.output, columns, isList }));
}

const create: Command = {
  path: ['agent', 'create'],
  flags: [
    'harness',
    'model',
    'provider',
    'system-prompt',
    'max-usd',
    'max-turns',
    'timeout',
    'template',
    'filename',
  ],
  help: `Usage: paddock agent create NAME --harness builtin|claude-code|codex|opencode|command
         [--model M] [--provider anthropic|openai] [--system-prompt TEXT]
         [--max-usd N] [--max-turns N] [--timeout 10m] [--template NAME] [-- COMMAND…]
       paddock agent create -f agent.yaml|-

Creates a reusable Agent: its harness (the command harness runs COMMAND after --; for the
others, words after -- are extra arguments), model and provider, system prompt, budget per run
and the SandboxTemplate its runs use. With -f, creates the Agents of a YAML or JSON file
(paddock apply -f also updates existing ones). Start a run with paddock run NAME "PROMPT".

Example:
  paddock agent create helper --harness builtin --provider anthropic --model claude-sonnet-4-5 --max-usd 2
  paddock agent create script --harness command -- python3 /workspace/agent.py
`,
  async run(context) {
    const { args, invocation, settings, client, io } = context;
    const agents = client.resources('Agent');
    if (invocation.flags.filename !== undefined) {
      const resources = await readManifests(context, 'agent create');
      for (const resource of resources) {
        if (resource.kind !== 'Agent') {
          throw new PaddockError(
            ErrorCode.ValidationFailed,
            `agent create -f takes Agents only, not ${resource.kind} (use paddock apply -f)`,
            { issues: [{ path: '-f', message: `${resource.kind} is not an Agent` }] },
          );
        }
      }
      for (const resource of resources) {
        const scope = { namespace: resource.metadata.namespace ?? settings.namespace };
        const created = await agents.create(resource as KindInput<'Agent'>, scope);
        io.stdout(`agent/${created.metadata.name ?? ''} created\n`);
      }
      return 0;
    }
    const name = oneName(args, 'paddock agent create NAME --harness KIND');
    const spec = agentSpecFromFlags(invocation.flags, invocation.rest);
    const created = await agents.create(
      { apiVersion: 'paddock.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec },
      { namespace: settings.namespace },
    );
    if (settings.output === OutputFormat.Table) io.stdout(`agent/${name} created\n`);
    else printAgents(context, [created], false);
    return 0;
  },
};

const list: Command = {
  path: ['agent', 'list'],
  flags: [],
  help: `Usage: paddock agent list [-n NAMESPACE] [-o table|json|yaml|name]

Lists the Agents of a namespace: NAME, HARNESS, MODEL, BUDGET, AGE.

Example:
  paddock agent list
`,
  async run(context) {
    if (context.args.length > 0) oneName(['', ...context.args], 'paddock agent list');
    const found = await context.client
      .resources('Agent')
      .list({ namespace: context.settings.namespace });
    printAgents(context, found.items, true);
    return 0;
  },
};

const get: Command = {
  path: ['agent', 'get'],
  flags: [],
  help: `Usage: paddock agent get NAME [-n NAMESPACE] [-o table|json|yaml|name]

Shows one Agent (-o yaml for its whole definition).

Example:
  paddock agent get helper -o yaml
`,
  async run(context) {
    const name = oneName(context.args, 'paddock agent get NAME');
    const agent = await context.client
      .resources('Agent')
      .get(name, { namespace: context.settings.namespace });
    printAgents(context, [agent], false);
    return 0;
  },
};

const remove: Command = {
  path: ['agent', 'delete'],
  flags: [],
  help: `Usage: paddock agent delete NAME [-n NAMESPACE]

Deletes an Agent.

Example:
  paddock agent delete helper
`,
  async run({ args, settings, client, io }) {
    const name = oneName(args, 'paddock agent delete NAME');
    await client.resources('Agent').delete(name, { namespace: settings.namespace });
    io.stdout(`agent/${name} deleted\n`);
    return 0;
  },
};

export const agentCommands: readonly Command[] = [create, list, get, remove];
