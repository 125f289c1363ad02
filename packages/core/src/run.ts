import { z } from 'zod';
import { AgentSpec } from './agent.ts';
import { Condition } from './conditions.ts';
import { API_VERSION, ObjectMeta, ResourceName, Timestamp } from './metadata.ts';
import { RunPhase } from './run-lifecycle.ts';
import { TemplateRef } from './template.ts';

export const RunMode = { Task: 'task', Interactive: 'interactive' } as const;
export type RunMode = (typeof RunMode)[keyof typeof RunMode];

export const RunSpec = z
  .strictObject({
    agentRef: z.strictObject({ name: ResourceName }).optional(),
    /** An inline agent definition, instead of `agentRef`. */
    agent: AgentSpec.optional(),
    prompt: z.string().min(1, 'must not be empty'),
    mode: z.enum([RunMode.Task, RunMode.Interactive]).default(RunMode.Task),
    /** Run in an existing sandbox by name, or in a new one from a template (the agent's by default). */
    sandbox: z
      .strictObject({ name: ResourceName.optional(), templateRef: TemplateRef.optional() })
      .refine((s) => !(s.name && s.templateRef), {
        message: 'give either name (an existing sandbox) or templateRef (a new one), not both',
      })
      .optional(),
  })
  .refine((spec) => (spec.agentRef === undefined) !== (spec.agent === undefined), {
    message: 'exactly one of agentRef and agent is required',
    path: ['agentRef'],
  });
export type RunSpec = z.infer<typeof RunSpec>;

export const RunUsage = z.strictObject({
  inputTokens: z.int().nonnegative(),
  outputTokens: z.int().nonnegative(),
  costUsd: z.number().nonnegative(),
  turns: z.int().nonnegative(),
  toolCalls: z.int().nonnegative(),
});
export type RunUsage = z.infer<typeof RunUsage>;

const phases = Object.values(RunPhase) as [RunPhase, ...RunPhase[]];

export const RunStatus = z.strictObject({
  phase: z.enum(phases),
  observedGeneration: z.int().nonnegative().optional(),
  conditions: z.array(Condition).default([]),
  reason: z.string().optional(),
  message: z.string().optional(),
  sandboxName: ResourceName.optional(),
  startedAt: Timestamp.optional(),
  completedAt: Timestamp.optional(),
  usage: RunUsage.optional(),
  result: z.strictObject({ text: z.string().optional(), exitCode: z.int().optional() }).optional(),
});
export type RunStatus = z.infer<typeof RunStatus>;

export const Run = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Run'),
  metadata: ObjectMeta,
  spec: RunSpec,
  status: RunStatus.optional(),
});
export type Run = z.infer<typeof Run>;
