/** Tools over sandboxes: create, list, get, stop, start, delete, exec, files, previews, logs. */
import type { Sandbox } from '@paddock/core';
import { z } from 'zod';
import { defineTool, type PaddockTool } from '../tool.ts';

const Namespace = z
  .string()
  .min(1)
  .optional()
  .describe('The namespace; the default one of this connection (usually "default") when absent');

/** The fields of a Sandbox a model needs, not the whole object. */
export const SandboxSummary = z.object({
  namespace: z.string(),
  name: z.string(),
  phase: z.string().describe('Pending, Creating, Running, Stopped, Error or Deleting'),
  template: z.string().describe('Kind/name of its template'),
  reason: z.string().optional(),
  message: z.string().optional(),
  startedAt: z.string().optional(),
  expiresAt: z.string().optional(),
});
export type SandboxSummary = z.infer<typeof SandboxSummary>;

export function summarize(sandbox: Sandbox): SandboxSummary {
  const { templateRef } = sandbox.spec;
  const status = sandbox.status;
  return {
    namespace: sandbox.metadata.namespace ?? 'default',
    name: sandbox.metadata.name ?? '',
    phase: status?.phase ?? 'Pending',
    template: `${templateRef.kind ?? 'SandboxTemplate'}/${templateRef.name}`,
    ...(status?.reason === undefined ? {} : { reason: status.reason }),
    ...(status?.message === undefined ? {} : { message: status.message }),
    ...(status?.startedAt === undefined ? {} : { startedAt: status.startedAt }),
    ...(status?.expiresAt === undefined ? {} : { expiresAt: status.expiresAt }),
  };
}

const scope = (namespace: string | undefined) => (namespace === undefined ? {} : { namespace });

export const sandboxTools: PaddockTool[] = [
  defineTool({
    name: 'sandbox_list',
    title: 'List sandboxes',
    description:
      'Lists the sandboxes you can see (yours and those shared with you), with their phase and template. Use it to find a sandbox before working in it. Returns up to `limit` sandboxes and a `continue` token when there are more.',
    input: z.object({
      namespace: Namespace,
      labelSelector: z.string().optional().describe('Kubernetes label selector, e.g. "app=web"'),
      limit: z.int().min(1).max(500).optional(),
      continue: z.string().optional().describe('The token a previous call returned'),
    }),
    output: z.object({ items: z.array(SandboxSummary), continue: z.string().optional() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handle: async (input, { client, signal }) => {
      const list = await client.sandboxes.list({
        ...scope(input.namespace),
        ...(input.labelSelector === undefined ? {} : { labelSelector: input.labelSelector }),
        ...(input.limit === undefined ? {} : { limit: input.limit }),
        ...(input.continue === undefined ? {} : { continue: input.continue }),
        signal,
      });
      return {
        items: list.items.map(summarize),
        ...(list.metadata.continue === undefined ? {} : { continue: list.metadata.continue }),
      };
    },
  }),
  defineTool({
    name: 'sandbox_get',
    title: 'Get a sandbox',
    description:
      "Tells one sandbox's phase, template, timestamps and, when it failed, why (reason, message). Use it to check whether a sandbox is Running before exec or file calls.",
    input: z.object({ name: z.string().min(1), namespace: Namespace }),
    output: SandboxSummary,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handle: async (input, { client, signal }) =>
      summarize(await client.sandboxes.get(input.name, { ...scope(input.namespace), signal })),
  }),
];
