/** Tools over templates: list, get, resolve (after inheritance, with provenance). */
import type { PaddockClient } from '@paddock/client';
import {
  type AnyTemplate,
  ErrorCode,
  isPaddockError,
  OverridableField,
  SandboxEnvironment,
  TemplateKind,
  TemplateSpec,
} from '@paddock/core';
import { z } from 'zod';
import { defineTool, NamespaceInput, type PaddockTool, READ_ONLY } from '../tool.ts';

const Kind = z.enum([TemplateKind.SandboxTemplate, TemplateKind.ClusterSandboxTemplate]);

/** A template's kind as a tool input: absent means "the namespace's own, else the cluster's". */
export const TemplateKindInput = Kind.optional().describe(
  'SandboxTemplate (in the namespace) or ClusterSandboxTemplate; when absent, a SandboxTemplate of that name in the namespace if there is one, else the ClusterSandboxTemplate',
);

/**
 * The template `name` names: of `kind` when given; else the namespace's SandboxTemplate of that
 * name when one exists (it shadows), else the ClusterSandboxTemplate.
 */
export async function findTemplate(
  client: PaddockClient,
  name: string,
  kind: TemplateKind | undefined,
  options: { namespace?: string; signal: AbortSignal },
): Promise<{ kind: TemplateKind; name: string }> {
  if (kind !== undefined) return { kind, name };
  try {
    await client.resources('SandboxTemplate').get(name, options);
    return { kind: TemplateKind.SandboxTemplate, name };
  } catch (error) {
    if (
      !isPaddockError(error, ErrorCode.NotFound) &&
      !isPaddockError(error, ErrorCode.TemplateNotFound)
    )
      throw error;
    return { kind: TemplateKind.ClusterSandboxTemplate, name };
  }
}

const TemplateId = {
  kind: Kind,
  name: z.string(),
  namespace: z.string().optional().describe('Absent for a ClusterSandboxTemplate'),
};

const TemplateSummary = z.object({
  ...TemplateId,
  description: z.string().optional(),
  inheritsFrom: z.string().optional().describe('Kind/name of its parent template'),
  overridable: z
    .array(z.string())
    .describe(
      'Fields a sandbox created from it may override (after inheritance: see template_resolve)',
    ),
  ports: z.array(z.string()).optional().describe('Declared ports, as name:port/protocol'),
});

function summarize(template: AnyTemplate) {
  const { spec, metadata } = template;
  return {
    kind: template.kind,
    name: metadata.name ?? '',
    ...(metadata.namespace === undefined ? {} : { namespace: metadata.namespace }),
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.inheritsFrom === undefined
      ? {}
      : {
          inheritsFrom: `${spec.inheritsFrom.kind ?? TemplateKind.SandboxTemplate}/${spec.inheritsFrom.name}`,
        }),
    overridable: spec.overridable ?? [],
    ...(spec.ports === undefined
      ? {}
      : { ports: spec.ports.map((p) => `${p.name}:${p.port}/${p.protocol ?? 'http'}`) }),
  };
}

const NameInput = {
  name: z.string().min(1).describe('Template name, e.g. "python"'),
  kind: TemplateKindInput,
  namespace: NamespaceInput,
};

export const templateTools: PaddockTool[] = [
  defineTool({
    name: 'template_list',
    title: 'List templates',
    description:
      'Lists the sandbox templates you can create sandboxes from: the cluster-wide ones (built-ins such as shell, python, node) and the namespace’s own. Use it to choose a template for sandbox_create. Returns each template’s kind, name, description, parent and the fields a sandbox may override (as declared on the template itself; template_resolve gives them after inheritance).',
    input: z.object({
      namespace: NamespaceInput,
      scope: z
        .enum(['all', 'cluster', 'namespace'])
        .default('all')
        .describe('cluster: ClusterSandboxTemplates; namespace: SandboxTemplates; all: both'),
    }),
    output: z.object({ items: z.array(TemplateSummary) }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const ns = input.namespace === undefined ? {} : { namespace: input.namespace };
      const [cluster, namespaced] = await Promise.all([
        input.scope === 'namespace'
          ? undefined
          : client.resources('ClusterSandboxTemplate').list({ signal }),
        input.scope === 'cluster'
          ? undefined
          : client.resources('SandboxTemplate').list({ ...ns, signal }),
      ]);
      return {
        items: [...(namespaced?.items ?? []), ...(cluster?.items ?? [])].map(summarize),
      };
    },
  }),
  defineTool({
    name: 'template_get',
    title: 'Get a template',
    description:
      'Shows one template as written: its own fields and its parent (inheritsFrom), not what it inherits. Use template_resolve to see the environment a sandbox would get. Returns the summary and the template’s spec.',
    input: z.object(NameInput),
    output: TemplateSummary.extend({ spec: TemplateSpec }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const ns = input.namespace === undefined ? {} : { namespace: input.namespace };
      const ref = await findTemplate(client, input.name, input.kind, { ...ns, signal });
      const template = await client.resources(ref.kind).get(ref.name, { ...ns, signal });
      return { ...summarize(template), spec: template.spec };
    },
  }),
  defineTool({
    name: 'template_resolve',
    title: 'Resolve a template',
    description:
      'Resolves a template through its inheritance chain: the environment a sandbox created from it gets (image, command, env, resources, network, files, ports, …), the fields a sandbox may override, and for every field the template that set it (origins). Use it before sandbox_create to know what you get, or to find which template to change. Returns spec, overridable, origins (field path → Kind/name) and chain (root first).',
    input: z.object(NameInput),
    output: z.object({
      template: z.object(TemplateId),
      spec: SandboxEnvironment,
      overridable: z.array(OverridableField),
      origins: z.record(z.string(), z.string()).describe('Field path → Kind/name that set it'),
      chain: z.array(z.string()).describe('Kind/name of each template merged, root first'),
    }),
    annotations: READ_ONLY,
    handle: async (input, { client, signal }) => {
      const ns = input.namespace === undefined ? {} : { namespace: input.namespace };
      const ref = await findTemplate(client, input.name, input.kind, { ...ns, signal });
      const resolved = await client.templates.resolve(ref.name, {
        ...ns,
        signal,
        cluster: ref.kind === TemplateKind.ClusterSandboxTemplate,
      });
      return {
        template: resolved.template,
        spec: resolved.spec,
        overridable: resolved.overridable,
        origins: resolved.origins,
        chain: resolved.chain,
      };
    },
  }),
];
