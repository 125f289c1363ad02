/** Tools over the lifecycle of sandboxes: list, get, create, stop, start, delete. */
import type { PaddockClient } from '@paddock/client';
import {
  ErrorCode,
  PaddockError,
  type Sandbox,
  SandboxOverrides,
  SandboxPhase,
  SandboxReason,
} from '@paddock/core';
import { z } from 'zod';
import {
  defineTool,
  NamespaceInput,
  type PaddockTool,
  READ_ONLY,
  scopeOf,
  type ToolContext,
} from '../tool.ts';
import { defined } from './optional-fields.ts';
import { EnvMap, SandboxName } from './sandbox-inputs.ts';
import { findTemplate, TemplateKindInput } from './templates.ts';

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

/** How long create/start/stop wait for the phase asked for. */
const WAIT_TIMEOUT_MS = 120_000;

/** A sandbox in Error as the error of the call that waited for it. */
function failureOf(sandbox: Sandbox): PaddockError {
  const { status } = sandbox;
  const failed = status?.provisionFailure;
  const step = failed
    ? `; step ${failed.step} exited ${failed.exitCode ?? '?'}${failed.output ? `: ${failed.output.slice(-2000)}` : ''}`
    : '';
  const why = `${status?.reason ?? 'Error'}: ${status?.message ?? 'no message'}${step}`;
  const code =
    status?.reason === SandboxReason.PolicyViolation
      ? ErrorCode.PolicyViolation
      : ErrorCode.RuntimeUnavailable;
  return new PaddockError(code, `sandbox "${sandbox.metadata.name}" failed (${why})`, {
    reason: status?.reason ?? null,
  });
}

/**
 * Waits until the sandbox reaches `target`, sending a progress notification at each phase (and
 * reason) it passes; a sandbox that ends in Error fails the call with its reason.
 */
async function settle(
  client: PaddockClient,
  name: string,
  namespace: string | undefined,
  target: SandboxPhase,
  { signal, progress }: ToolContext,
): Promise<Sandbox> {
  const reports: Promise<void>[] = [];
  let seen = '';
  const sandbox = await client.sandboxes.waitFor(
    name,
    (s) => {
      const phase = s.status?.phase ?? SandboxPhase.Pending;
      const step = `${phase}${s.status?.reason ? ` (${s.status.reason})` : ''}`;
      if (step !== seen) {
        seen = step;
        const line = `sandbox ${name}: ${step}${s.status?.message ? `: ${s.status.message}` : ''}`;
        reports.push(progress(reports.length + 1, undefined, line).catch(() => {}));
      }
      return phase === target || phase === SandboxPhase.Error;
    },
    { ...scopeOf(namespace), signal, timeoutMs: WAIT_TIMEOUT_MS },
  );
  await Promise.all(reports);
  if (sandbox.status?.phase === SandboxPhase.Error) throw failureOf(sandbox);
  return sandbox;
}

export const sandboxTools: PaddockTool[] = [
  defineTool({
    name: 'sandbox_list',
    title: 'List sandboxes',
    description:
      'Lists the sandboxes you can see (yours and those shared with you), with their phase and template. Use it to find a sandbox before working in it. Returns up to `limit` sandboxes and a `continue` token when there are more.',
    input: z.object({
      namespace: NamespaceInput,
      labelSelector: z.string().optional().describe('Kubernetes label selector, e.g. "app=web"'),
      limit: z.int().min(1).max(500).optional(),
      continue: z.string().optional().describe('The token a previous call returned'),
    }),
    output: z.object({ items: z.array(SandboxSummary), continue: z.string().optional() }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const list = await client.sandboxes.list({
        ...scopeOf(input.namespace),
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
    input: z.object({ name: z.string().min(1), namespace: NamespaceInput }),
    output: SandboxSummary,
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) =>
      summarize(await client.sandboxes.get(input.name, { ...scopeOf(input.namespace), signal })),
  }),
  defineTool({
    name: 'sandbox_create',
    title: 'Create a sandbox',
    description:
      'Creates a sandbox (an isolated Linux environment) from a template and waits until it is Running, reporting each phase as progress. Use template_list to pick a template; overrides (env, command, timeout, …) are refused unless the template allows them. Returns the sandbox summary; a sandbox that fails (policy, provisioning) is a tool error with the reason. Each call creates a new sandbox.',
    input: z.object({
      template: z.string().min(1).describe('Template name, e.g. "shell", "python", "node"'),
      templateKind: TemplateKindInput,
      name: z
        .string()
        .min(1)
        .optional()
        .describe('Name of the new sandbox; generated from the template name when absent'),
      namespace: NamespaceInput,
      env: EnvMap.optional().describe('Extra environment variables'),
      command: z
        .array(z.string())
        .min(1)
        .optional()
        .describe('Main process argv; the sandbox idles when the template has none'),
      timeout: z.string().optional().describe('Wall-clock lifetime, e.g. "30m", "2h"; "0" = none'),
      idleTimeout: z.string().optional().describe('Stop after this long idle, e.g. "15m"'),
      overrides: SandboxOverrides.optional().describe(
        'Any other template fields to override (resources, files, init, repos, …)',
      ),
      labels: z.record(z.string(), z.string()).optional(),
    }),
    output: SandboxSummary,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    handle: async (input, context) => {
      const { client, signal } = context;
      const templateRef = await findTemplate(client, input.template, input.templateKind, {
        ...scopeOf(input.namespace),
        signal,
      });
      const env = input.env && Object.entries(input.env).map(([name, value]) => ({ name, value }));
      const overrides = defined({
        ...input.overrides,
        env: env && [...(input.overrides?.env ?? []), ...env],
        command: input.command,
        timeout: input.timeout,
        idleTimeout: input.idleTimeout,
      });
      const created = await client.sandboxes.create(
        {
          apiVersion: 'paddock.dev/v1alpha1',
          kind: 'Sandbox',
          metadata: {
            ...(input.name === undefined
              ? { generateName: `${input.template}-` }
              : { name: input.name }),
            ...(input.labels === undefined ? {} : { labels: input.labels }),
          },
          spec: {
            templateRef,
            ...(Object.keys(overrides).length === 0 ? {} : { overrides }),
          },
        },
        { ...scopeOf(input.namespace), signal },
      );
      const name = created.metadata.name ?? '';
      // Said before waiting: a sandbox may be Running by the time the wait first looks.
      await context.progress(0, undefined, `sandbox ${name}: created`);
      return summarize(await settle(client, name, input.namespace, SandboxPhase.Running, context));
    },
  }),
  defineTool({
    name: 'sandbox_stop',
    title: 'Stop a sandbox',
    description:
      'Stops a sandbox: its processes end, its workspace (files) is kept, and sandbox_start runs it again. Waits until it is Stopped, reporting progress. Use it to free resources without losing files. Returns the sandbox summary; stopping a stopped sandbox does nothing.',
    input: z.object({ name: SandboxName, namespace: NamespaceInput }),
    output: SandboxSummary,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    handle: async (input, context) => {
      await context.client.sandboxes.stop(input.name, {
        ...scopeOf(input.namespace),
        signal: context.signal,
      });
      return summarize(
        await settle(context.client, input.name, input.namespace, SandboxPhase.Stopped, context),
      );
    },
  }),
  defineTool({
    name: 'sandbox_start',
    title: 'Start a sandbox',
    description:
      'Starts a stopped sandbox again with the same workspace (background processes do not come back) and waits until it is Running, reporting progress. Returns the sandbox summary; starting a running sandbox does nothing.',
    input: z.object({ name: SandboxName, namespace: NamespaceInput }),
    output: SandboxSummary,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    handle: async (input, context) => {
      await context.client.sandboxes.start(input.name, {
        ...scopeOf(input.namespace),
        signal: context.signal,
      });
      return summarize(
        await settle(context.client, input.name, input.namespace, SandboxPhase.Running, context),
      );
    },
  }),
  defineTool({
    name: 'sandbox_pause',
    title: 'Pause a sandbox',
    description:
      'Pauses a sandbox: its processes are frozen where they are (memory kept, no CPU used) until sandbox_resume, and exec, files and previews are refused meanwhile. Waits until it is Paused, reporting progress. Use it to keep a sandbox with its running state around cheaply; the Kubernetes runtime cannot pause (runtime_unavailable). Returns the sandbox summary.',
    input: z.object({ name: SandboxName, namespace: NamespaceInput }),
    output: SandboxSummary,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    handle: async (input, context) => {
      await context.client.sandboxes.pause(input.name, {
        ...scopeOf(input.namespace),
        signal: context.signal,
      });
      return summarize(
        await settle(context.client, input.name, input.namespace, SandboxPhase.Paused, context),
      );
    },
  }),
  defineTool({
    name: 'sandbox_resume',
    title: 'Resume a sandbox',
    description:
      'Resumes a paused sandbox: its processes go on where they were. Waits until it is Running, reporting progress. Returns the sandbox summary; resuming a running sandbox does nothing.',
    input: z.object({ name: SandboxName, namespace: NamespaceInput }),
    output: SandboxSummary,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    handle: async (input, context) => {
      await context.client.sandboxes.resume(input.name, {
        ...scopeOf(input.namespace),
        signal: context.signal,
      });
      return summarize(
        await settle(context.client, input.name, input.namespace, SandboxPhase.Running, context),
      );
    },
  }),
  defineTool({
    name: 'sandbox_delete',
    title: 'Delete a sandbox',
    description:
      'Deletes a sandbox and its workspace for good: every file in it is lost. Use sandbox_stop instead to keep the files. Returns "deleted", or "terminating" while the runtime is still tearing it down.',
    input: z.object({ name: SandboxName, namespace: NamespaceInput }),
    output: z.object({
      namespace: z.string(),
      name: z.string(),
      status: z.enum(['deleted', 'terminating']),
    }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    handle: async (input, { client, signal }) => {
      const result = await client.sandboxes.delete(input.name, {
        ...scopeOf(input.namespace),
        signal,
      });
      return {
        namespace: result.object.metadata.namespace ?? 'default',
        name: input.name,
        status: result.status,
      };
    },
  }),
];
