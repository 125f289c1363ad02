import { z } from 'zod';
import { DurationString } from './duration.ts';
import { API_VERSION, ObjectMeta, ResourceName } from './metadata.ts';
import { QuantityString } from './quantity.ts';
import { CredentialUse, EnvVar, ProgramText, Repo, TemplateRef } from './template.ts';

export const HarnessKind = {
  Builtin: 'builtin',
  ClaudeCode: 'claude-code',
  Codex: 'codex',
  OpenCode: 'opencode',
  Command: 'command',
} as const;
export type HarnessKind = (typeof HarnessKind)[keyof typeof HarnessKind];

export const Provider = { Anthropic: 'anthropic', OpenAI: 'openai' } as const;
export type Provider = (typeof Provider)[keyof typeof Provider];

export const McpServer = z.discriminatedUnion('transport', [
  z.strictObject({
    name: ResourceName,
    transport: z.literal('stdio'),
    command: z.array(ProgramText).min(1),
    env: z.array(EnvVar).optional(),
  }),
  z.strictObject({
    name: ResourceName,
    transport: z.literal('http'),
    url: z.url(),
  }),
]);
export type McpServer = z.infer<typeof McpServer>;

export const Budget = z.strictObject({
  /** Spend limit per run in US dollars. */
  maxUsd: z.number().positive().optional(),
  maxTurns: z.int().positive().optional(),
  maxTokens: z.int().positive().optional(),
  /** Wall-clock limit per run; `0` means none. */
  timeout: DurationString.optional(),
});
export type Budget = z.infer<typeof Budget>;

export const AgentSpec = z
  .strictObject({
    harness: z.strictObject({
      kind: z.enum([
        HarnessKind.Builtin,
        HarnessKind.ClaudeCode,
        HarnessKind.Codex,
        HarnessKind.OpenCode,
        HarnessKind.Command,
      ]),
      /** argv for the `command` harness; extra arguments for the others. */
      command: z.array(ProgramText).min(1).optional(),
    }),
    model: ProgramText.min(1).optional(),
    provider: z.enum([Provider.Anthropic, Provider.OpenAI]).optional(),
    systemPrompt: z.string().optional(),
    /** Tool names the agent may call; all built-in tools when absent. */
    tools: z.array(ProgramText.min(1)).optional(),
    mcpServers: z.array(McpServer).optional(),
    budget: Budget.optional(),
    repos: z.array(Repo).optional(),
    credentials: z.array(CredentialUse).optional(),
    templateRef: TemplateRef.optional(),
    /** Quota for the agent's own namespace (`agent-<name>` on Kubernetes). */
    quota: z
      .strictObject({
        cpu: QuantityString.optional(),
        memory: QuantityString.optional(),
        pods: z.int().positive().optional(),
      })
      .optional(),
  })
  .refine((spec) => spec.harness.kind !== HarnessKind.Command || spec.harness.command, {
    message: 'harness.command is required when harness.kind is "command"',
    path: ['harness', 'command'],
  });
export type AgentSpec = z.infer<typeof AgentSpec>;

export const Agent = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Agent'),
  metadata: ObjectMeta,
  spec: AgentSpec,
  status: z
    .strictObject({
      observedGeneration: z.int().nonnegative().optional(),
      runs: z.int().nonnegative().optional(),
      lastRunAt: z.iso.datetime({ offset: true }).optional(),
    })
    .optional(),
});
export type Agent = z.infer<typeof Agent>;
